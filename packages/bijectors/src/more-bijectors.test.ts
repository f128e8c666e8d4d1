import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, bijectorFromJSON, packWeights } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { ActNorm } from './act-norm.js';
import { InvertibleLinear, invertMatrix } from './invertible-linear.js';
import { LeakyReLU } from './leaky-relu.js';
import { Logit } from './logit.js';
import { PiecewiseLinear } from './piecewise-linear.js';
import { Planar } from './planar.js';
import { Sigmoid } from './sigmoid.js';
import { Tanh } from './tanh.js';

// The data-dependent initialisation happens first (as on the first training batch), then the checks.

describe('worked examples and domains', () => {
  it('ActNorm initialises from the first density batch to zero mean and unit variance, once, and remembers it when reloaded', async () => {
    const norm = new ActNorm({ size: 2 });
    const data = tf.add(tf.mul(tf.randomNormal([500, 2], 0, 1, 'float32', 7), tf.tensor1d([3, 0.5])), tf.tensor1d([10, -2]));
    const z = norm.inverse(data);
    const { mean, variance } = tf.moments(z, 0);
    Array.from(mean.dataSync()).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
    Array.from(variance.dataSync()).forEach((v) => expect(v).toBeCloseTo(1, 3));
    const bias = Array.from(norm.bias.dataSync());
    norm.inverse(tf.zeros([4, 2]));
    expect(Array.from(norm.bias.dataSync())).toEqual(bias);
    const copy = bijectorFromJSON(norm.toJSON()) as ActNorm;
    const packed = await packWeights(norm.variables);
    assignWeights(copy.variables, packed.specs, packed.data);
    expect(copy.isInitialized).toBe(true);
    expect(Array.from(copy.bias.dataSync())).toEqual(bias);
  });

  it('planar flow of the course notes: log|det J| = log(1 + sech²(−0.5) w·u) = 0.580', () => {
    const planar = new Planar({ size: 2, u: [1, 0], w: [1, 2], b: 0, invertibility: 'none' });
    const [, logDet] = planar.forwardAndLogDet(tf.tensor2d([[0.5, -0.5]]));
    const sech2 = 1 / Math.cosh(-0.5) ** 2;
    expect(logDet.dataSync()[0]).toBeCloseTo(Math.log(1 + sech2 * 1), 5);
    expect(logDet.dataSync()[0]).toBeCloseTo(0.58, 3);
  });

  it('piecewise-linear map of the course notes: f(0.3) = 0.1 + 0.2 · 0.2 with φ = (0.1, 0.2, 0.3, 0.4), slope 4 φ_2', () => {
    const phi = [0.1, 0.2, 0.3, 0.4];
    const map = new PiecewiseLinear({ size: 1, bins: 4, logits: phi.map(Math.log) });
    const [y, logDet] = map.forwardAndLogDet(tf.tensor2d([[0.3], [0], [1]]));
    const values = y.dataSync();
    expect(values[0]).toBeCloseTo(0.14, 6);
    expect(values[1]).toBeCloseTo(0, 6);
    expect(values[2]).toBeCloseTo(1, 6);
    expect(logDet.dataSync()[0]).toBeCloseTo(Math.log(0.8), 5);
    expect(map.inverse(tf.tensor2d([[0.14]])).dataSync()[0]).toBeCloseTo(0.3, 5);
    expect(() => map.forward(tf.tensor2d([[1.5]]))).toThrow(/strictly inside/);
  });

  it('reparameterised planar flows stay invertible even for u against w', () => {
    const planar = new Planar({ size: 2, u: [-5, -5], w: [1, 1], b: 0.3 });
    const x = tf.randomNormal([50, 2], 0, 2, 'float32', 1);
    const back = planar.inverse(planar.forward(x));
    expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]).toBeLessThan(1e-4);
  });

  it('LU log-det is Σ log|U_ii| and matches log|det W|', () => {
    const lu = new InvertibleLinear({ size: 3, seed: 1 });
    lu.logScale.assign(tf.tensor1d([0.5, -1, 0.25]));
    lu.lower.assign(tf.randomNormal([3, 3], 0, 1, 'float32', 2));
    lu.upper.assign(tf.randomNormal([3, 3], 0, 1, 'float32', 3));
    const w = Float64Array.from(lu.weight().dataSync());
    const det = w[0] * (w[4] * w[8] - w[5] * w[7]) - w[1] * (w[3] * w[8] - w[5] * w[6]) + w[2] * (w[3] * w[7] - w[4] * w[6]);
    const [, logDet] = lu.forwardAndLogDet(tf.zeros([1, 3]));
    expect(logDet.dataSync()[0]).toBeCloseTo(Math.log(Math.abs(det)), 4);
    expect(logDet.dataSync()[0]).toBeCloseTo(-0.25, 5);
    const inverse = invertMatrix(Float64Array.from([2, 0, 0, 4]), 2);
    expect(Array.from(inverse)).toEqual([0.5, 0, 0, 0.25]);
  });

  it('LeakyReLU counts x = 0 as non-negative: log-det Σ[x_i < 0] log α, in both directions', () => {
    const relu = new LeakyReLU(0.2);
    const [y, forwardLogDet] = relu.forwardAndLogDet(
      tf.tensor2d([
        [0, 0, 0],
        [0, -1, 2],
      ]),
    );
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 0, -0.2, 2].map((v) => Math.fround(v)));
    expect(Math.abs(forwardLogDet.dataSync()[0])).toBe(0);
    expect(forwardLogDet.dataSync()[1]).toBeCloseTo(Math.log(0.2), 6);
    const [, inverseLogDet] = relu.inverseAndLogDet(tf.tensor2d([[0, 0, 0]]));
    expect(Math.abs(inverseLogDet.dataSync()[0])).toBe(0);
    tf.dispose([y, forwardLogDet, inverseLogDet]);
  });

  it('out-of-domain input to Sigmoid/Tanh inverses and the Logit forward is rejected, not turned into NaN', () => {
    expect(() => new Sigmoid().inverse(tf.tensor2d([[0.5, 1]]))).toThrow(/strictly inside \(0, 1\)/);
    expect(() => new Tanh().inverse(tf.tensor2d([[-1.5, 0]]))).toThrow(/strictly inside \(-1, 1\)/);
    expect(() => new Logit(0.05).forward(tf.tensor2d([[1.2, 0.5]]))).toThrow(/strictly inside/);
    expect(() => new LeakyReLU(0)).toThrow(/slope must be positive/);
  });
});
