import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LogisticMixtureTransformer } from './logistic-mixture-transformer.js';

/** Plain float64 reference of h = g⁻¹ for one coordinate: logit of the mixture CDF, then the affine map. */
function referenceDensityMap(v: number, raw: number[], k: number, bound: number): number {
  const logits = raw.slice(0, k);
  const maxLogit = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - maxLogit));
  const total = weights.reduce((a, b) => a + b, 0);
  let cdf = 0;
  for (let j = 0; j < k; j++) {
    const s = Math.exp(bound * Math.tanh(raw[2 * k + j] / bound));
    cdf += weights[j] / total / (1 + Math.exp(-(v - raw[k + j]) / s));
  }
  const a = bound * Math.tanh(raw[3 * k] / bound);
  return Math.log(cdf / (1 - cdf)) * Math.exp(a) + raw[3 * k + 1];
}

describe('LogisticMixtureTransformer', () => {
  const k = 3;
  const transformer = new LogisticMixtureTransformer({ components: k });
  const raw = [0.4, -1.2, 0.3, -1.5, 0.2, 1.8, 0.1, -0.7, 0.5, 0.3, -0.4];

  it('has 3K + 2 parameters, and zero parameters give the identity', () => {
    expect(transformer.parameterCount).toBe(11);
    const v = tf.tensor2d([[-6], [-0.5], [0], [2.5], [9]]);
    const [x, logDerivative] = transformer.inverse(v, tf.zeros([5, 1, 11]) as tf.Tensor3D);
    x.dataSync().forEach((value, i) => expect(value).toBeCloseTo(v.dataSync()[i], 4));
    logDerivative.dataSync().forEach((value) => expect(Math.abs(value)).toBeLessThan(1e-4));
  });

  it('matches a float64 reference, its log-derivative a finite difference, and the sampling direction undoes it', () => {
    const grid = [-8, -3, -1.4, -0.2, 0, 0.7, 1.9, 4, 12];
    const theta = tf.tile(tf.tensor3d([[raw]]), [grid.length, 1, 1]) as tf.Tensor3D;
    const [x, logDerivative] = transformer.inverse(tf.tensor2d(grid, [grid.length, 1]), theta);
    const h = 1e-3;
    grid.forEach((v, i) => {
      expect(x.dataSync()[i]).toBeCloseTo(referenceDensityMap(v, raw, k, 5), 3);
      const slope = (referenceDensityMap(v + h, raw, k, 5) - referenceDensityMap(v - h, raw, k, 5)) / (2 * h);
      expect(logDerivative.dataSync()[i]).toBeCloseTo(Math.log(slope), 3);
    });
    const [back, forwardLog] = transformer.forward(x, theta);
    back.dataSync().forEach((value, i) => expect(value).toBeCloseTo(grid[i], 4));
    forwardLog.dataSync().forEach((value, i) => expect(value).toBeCloseTo(-logDerivative.dataSync()[i], 3));
  });

  it('stays finite far in both tails, in both directions', () => {
    const far = tf.tensor2d([[-1e4], [-200], [200], [1e4]]);
    const theta = tf.tile(tf.tensor3d([[raw]]), [4, 1, 1]) as tf.Tensor3D;
    for (const [value, log] of [transformer.inverse(far, theta), transformer.forward(far, theta)])
      for (const number of [...value.dataSync(), ...log.dataSync()]) expect(Number.isFinite(number)).toBe(true);
    // Far out the map is linear with the tail's slope: increasing, and the round trip holds.
    const [x] = transformer.inverse(far, theta);
    const values = Array.from(x.dataSync());
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    const [back] = transformer.forward(x, theta);
    back.dataSync().forEach((value, i) => expect(Math.abs(value - far.dataSync()[i])).toBeLessThan(1e-4 * (1 + Math.abs(far.dataSync()[i]))));
  });

  it('the sampling direction has the implicit gradient in u and θ', () => {
    const u = tf.tensor2d([[-1.3], [0.4], [2.2]]);
    const theta = tf.tile(tf.tensor3d([[raw]]), [3, 1, 1]) as tf.Tensor3D;
    const f = (uu: tf.Tensor, t: tf.Tensor) => tf.sum(transformer.forward(uu as tf.Tensor2D, t as tf.Tensor3D)[0]);
    const [du, dTheta] = tf.grads(f)([u, theta]);
    const h = 1e-2;
    // Central differences in u, and in two parameters (a mean and the output shift).
    const at = (uu: tf.Tensor, t: tf.Tensor) => f(uu, t).dataSync()[0];
    const bump = (index: number, by: number) => tf.add(theta, tf.mul(tf.oneHot(tf.fill([3, 1], index, 'int32'), 11), by));
    const numericU = (at(tf.add(u, h), theta) - at(tf.sub(u, h), theta)) / (2 * h);
    expect(tf.sum(du).dataSync()[0]).toBeCloseTo(numericU, 2);
    for (const index of [k + 1, 3 * k + 1]) {
      const numeric = (at(u, bump(index, h)) - at(u, bump(index, -h))) / (2 * h);
      const analytic = tf.sum(tf.slice(dTheta, [0, 0, index], [3, 1, 1])).dataSync()[0];
      expect(analytic).toBeCloseTo(numeric, 2);
    }
  });

  it('names bad options', () => {
    expect(() => new LogisticMixtureTransformer({ components: 0 })).toThrow(/components must be a positive integer, got 0/);
    expect(() => new LogisticMixtureTransformer({ logScaleBound: -1 })).toThrow(/logScaleBound must be a positive number/);
    expect(() => new LogisticMixtureTransformer({ component: 3 } as never)).toThrow(/unknown option 'component' \(did you mean 'components'\?\)/);
  });
});
