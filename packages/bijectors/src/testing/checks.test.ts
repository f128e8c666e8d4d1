import * as tf from '@tensorflow/tfjs-core';
import { Bijector, perRow, registerBijector } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { ElementwiseScale } from '../elementwise-scale.js';
import { checkBijector, logAbsDet, runConformanceCheck } from './checks.js';

/** y = 2x with a deliberately wrong log-det, to prove the kit can fail. */
class WrongLogDet extends Bijector {
  static override readonly className: string = 'WrongLogDet';
  readonly eventShape = [2];
  getConfig() {
    return {};
  }
  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.mul(x, 2), perRow(tf.scalar(Math.log(2)), x.shape[0])];
  }
  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.div(y, 2), perRow(tf.scalar(-2 * Math.log(2)), y.shape[0])];
  }
}

/** Leaks a tensor on every forward call. */
class Leaky extends ElementwiseScale {
  protected override forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    tf.keep(tf.zeros([1]));
    return super.forwardImpl(x);
  }
}

/** Mixes rows of the batch, which no bijector may do. */
class BatchMixing extends ElementwiseScale {
  protected override forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [y, logDet] = super.forwardImpl(x);
    return [tf.add(y, tf.mean(x, 0)), logDet];
  }
}

describe('conformance kit', () => {
  it('catches a wrong log-det', () => {
    expect(() => runConformanceCheck('logDetJacobian', () => new WrongLogDet(), { serializable: false })).toThrow(/log\|det J\| from autodiff is 1\.38/);
    expect(() => runConformanceCheck('logDetConsistency', () => new WrongLogDet())).toThrow(/not 0/);
  });

  it('catches a leak, batch mixing, and a missing gradient', () => {
    expect(() => runConformanceCheck('memory', () => new Leaky({ size: 2 }))).toThrow(/leaked/);
    expect(() => runConformanceCheck('batchIndependence', () => new BatchMixing({ size: 2 }))).toThrow(/row 0 alone/);
    class Frozen extends ElementwiseScale {
      protected override forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
        return [tf.mul(x, 1), perRow(tf.scalar(0), x.shape[0])];
      }
      protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
        return this.forwardImpl(y);
      }
    }
    expect(() => runConformanceCheck('gradients', () => new Frozen({ size: 2 }))).toThrow(/no gradient/);
  });

  it('catches a getConfig that misses an option, and a getConfig that leaks', () => {
    class Forgetful extends ElementwiseScale {
      static override readonly className: string = 'ConformanceForgetful';
      // Deliberately incomplete, as a buggy plugin's would be: the check must catch it.
      override getConfig() {
        return {} as { size: number };
      }
      static override fromConfig(config: Record<string, unknown>) {
        return new Forgetful(config as { size: number });
      }
    }
    registerBijector(Forgetful);
    const forgetful = () => new Forgetful({ size: 3 });
    expect(() => runConformanceCheck('serialization', forgetful)).toThrow(/getConfig\(\) \{\} .*getConfig must return every option the constructor needs/);
    class LeakyConfig extends ElementwiseScale {
      override getConfig() {
        tf.keep(tf.zeros([1]));
        return super.getConfig();
      }
    }
    expect(() => runConformanceCheck('memory', () => new LeakyConfig({ size: 2 }))).toThrow(/getConfig and toJSON leaked 2 tensors/);
  });

  it('passes a correct bijector', () => {
    expect(() => checkBijector(() => new ElementwiseScale({ size: 3 }))).not.toThrow();
  });

  it('logAbsDet agrees with a hand-computed determinant', () => {
    expect(logAbsDet([2, 1, 1, 3], 2)).toBeCloseTo(Math.log(5), 12);
    expect(logAbsDet([0, 1, 1, 0], 2)).toBeCloseTo(0, 12);
    expect(logAbsDet([1, 2, 2, 4], 2)).toBe(-Infinity);
  });
});
