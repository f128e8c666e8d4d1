import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { StandardNormal } from '../normal.js';
import { checkDistribution, runDistributionCheck } from './checks.js';

const grid = { support: { kind: 'grid' as const, low: -8, high: 8 } };

/** A standard normal whose density is off by a constant factor e^0.1. */
class Unnormalised extends StandardNormal {
  protected override logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return tf.add(super.logProbImpl(x), 0.1);
  }
}

/** A standard normal whose sampler draws from N(0.2, 1). */
class ShiftedSampler extends StandardNormal {
  protected override sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    return tf.add(super.sampleImpl(n, random, temperature), 0.2);
  }
}

/** A standard normal whose logProb keeps an extra tensor alive. */
class Leaky extends StandardNormal {
  protected override logProbImpl(x: tf.Tensor): tf.Tensor1D {
    tf.keep(tf.zeros([1]));
    return super.logProbImpl(x);
  }
}

describe('distribution conformance kit', () => {
  it('passes a correct distribution', () => {
    expect(() => checkDistribution(() => new StandardNormal([2]), grid)).not.toThrow();
  });

  it('catches a density that does not integrate to one', () => {
    expect(() => runDistributionCheck('normalization', () => new Unnormalised([2]), grid)).toThrow(/integrates to 1\.10\d+ over the support, not 1/);
  });

  it('catches samples that do not follow the density, with and without a support to enumerate', () => {
    expect(() => runDistributionCheck('samplesMatchDensity', () => new ShiftedSampler([1]), grid)).toThrow(/sample and logProb disagree/);
    expect(() => runDistributionCheck('samplesMatchDensity', () => new ShiftedSampler([8]))).toThrow(/the entropy/);
  });

  it('catches a leak', () => {
    expect(() => runDistributionCheck('memory', () => new Leaky([2]))).toThrow(/leaked 1 tensors/);
  });
});
