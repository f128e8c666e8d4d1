import * as tf from '@tensorflow/tfjs-core';
import { distributionFromJSON, type FactorOutDistribution, type TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { convIntegerFlow } from './conv-integer-flow.js';

/** 8-bit images with a bright stroke, as integers in float32. */
function images(n: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.round(tf.clipByValue(tf.randomNormal([n, 8, 8, 1], 60, 90, 'float32', seed), 0, 255)) as tf.Tensor4D);
}

/** Moves every weight a little, so that the couplings shift and the priors depend on their context. */
function perturb(flow: TransformedDistribution, seed: number): void {
  tf.tidy(() => flow.trainableVariables.forEach((v, i) => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.1, 0.1, 'float32', seed + i)))));
}

describe('convIntegerFlow', () => {
  it('is a bijection of integer images: the base side holds integers, and the sampling direction gives the images back exactly', () => {
    const flow = convIntegerFlow({ shape: [8, 8, 1], levels: 2, layers: 2, hidden: [4], priorHidden: [8], components: 2, seed: 1 });
    perturb(flow, 2);
    const x = images(3, 3);
    const z = flow.bijector.inverse(x);
    const values = z.dataSync();
    expect(values.every((v) => Number.isInteger(v))).toBe(true);
    expect(Array.from(flow.bijector.forward(z).dataSync())).toEqual(Array.from(x.dataSync()));
    // The couplings moved some values: the flow is not the identity after the squeezes.
    const top = flow.base as FactorOutDistribution;
    expect(top.className).toBe('FactorOutDistribution');
    expect(top.factored.className).toBe('ConditionalMixtureOfDiscretizedLogistics');
    tf.dispose([x, z]);
    flow.dispose();
  });

  it('gives a probability mass: the probabilities of every 2 × 2 image of values −8…11 sum to 1', () => {
    // A scale of 4 (values about 0…3); the base is over all integers, and the box holds nearly all of its mass.
    const flow = convIntegerFlow({ shape: [2, 2, 1], levels: 1, layers: 2, hidden: [3], components: 2, range: [0, 3], scale: 4, seed: 4 });
    perturb(flow, 5);
    const side = 20;
    const values = new Float32Array(side ** 4 * 4);
    for (let k = 0; k < side ** 4; k++) for (let j = 0, rest = k; j < 4; j++, rest = Math.floor(rest / side)) values[4 * k + j] = (rest % side) - 8;
    const all = tf.tensor4d(values, [side ** 4, 2, 2, 1]);
    const z = flow.bijector.inverse(all);
    // On 2 × 2 × 1 images the squeeze keeps the row-major order: the difference is the couplings' shifts.
    expect(tf.max(tf.abs(tf.sub(z, tf.reshape(all, [side ** 4, 4])))).dataSync()[0]).toBeGreaterThan(0);
    const mass = tf.sum(tf.exp(flow.logProb(all))).dataSync()[0];
    expect(mass).toBeGreaterThan(0.995);
    expect(mass).toBeLessThan(1.0001);
    tf.dispose([all, z]);
    flow.dispose();
  });

  it('saves and loads to the same log-probabilities, and leaves no tensor behind', () => {
    const flow = convIntegerFlow({ shape: [8, 8, 1], levels: 2, layers: 1, hidden: [4], priorHidden: [8], components: 3, seed: 6 });
    perturb(flow, 7);
    const x = images(2, 8);
    const before = tf.memory().numTensors;
    flow.logProb(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const copy = distributionFromJSON(flow.toJSON()) as TransformedDistribution;
    flow.variables.forEach((v, i) => copy.variables[i].assign(v));
    expect(Array.from(copy.logProb(x).dataSync())).toEqual(Array.from(flow.logProb(x).dataSync()).map((v) => expect.closeTo(v, 4)));
    x.dispose();
    flow.dispose();
    copy.dispose();
  });

  it('refuses shapes the levels cannot squeeze and counts that are not positive, naming them', () => {
    expect(() => convIntegerFlow({ shape: [6, 6, 1], levels: 2 })).toThrow(/height and width \(6 × 6\) must be divisible by 2\^levels = 4/);
    expect(() => convIntegerFlow({ shape: [8, 8, 1], layers: 0 })).toThrow(/layers must be a positive integer, got 0/);
    expect(() => convIntegerFlow({ shape: [8, 8, 1], range: [5, 5] })).toThrow(/range must be \[low, high\] with high > low/);
    expect(() => convIntegerFlow({ shape: [8, 8, 1], level: 2 } as never)).toThrow(/unknown option 'level'/);
  });
});
