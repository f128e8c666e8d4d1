import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { ConditionalDiagonalNormal } from './conditional-distribution.js';
import { DiagonalNormal, StandardNormal } from './normal.js';
import { registerVariationalDequantization, VariationalDequantization } from './variational-dequantization.js';
import { distributionFromJSON } from './distribution-registry.js';

// One coordinate, bins of width 1: x = v ∈ {0, …, 7}. The model is a fixed normal N(m, s²) whose
// density is far from flat across a bin, so uniform noise leaves a gap that a learned q can close.
const MEAN = 2.3;
const SCALE = 0.6;

/** Φ, the standard normal CDF (erf by Abramowitz and Stegun 7.1.26 is too coarse here: a series). */
function normalCdf(x: number): number {
  // erfc by its continued fraction for |x| large, its Taylor series otherwise; 1e-12 here.
  const z = x / Math.SQRT2;
  if (Math.abs(z) < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 0.5 + sum / Math.sqrt(Math.PI);
  }
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = n / 2 / (Math.abs(z) + fraction);
  const tail = Math.exp(-z * z) / Math.sqrt(Math.PI) / (Math.abs(z) + fraction);
  return z > 0 ? 1 - tail / 2 : tail / 2;
}

/** log P(v) = log ∫₀¹ p(v + u) du for the fixed normal. */
const exactLogMass = (v: number) => Math.log(normalCdf((v + 1 - MEAN) / SCALE) - normalCdf((v - MEAN) / SCALE));

/** Uniform dequantization's bound, E_u[log p(v + u)] = −½ log 2π − log s − ((v − m + ½)² + 1/12) / (2s²). */
const uniformBound = (v: number) => -0.5 * Math.log(2 * Math.PI) - Math.log(SCALE) - ((v - MEAN + 0.5) ** 2 + 1 / 12) / (2 * SCALE * SCALE);

function build(seed = 1): VariationalDequantization {
  return new VariationalDequantization({
    model: new DiagonalNormal({ size: 1, mean: [MEAN], logScale: [Math.log(SCALE)], trainable: false }),
    dequantizer: new ConditionalDiagonalNormal({ size: 1, contextSize: 1, hidden: [16], seed }),
    binWidth: 1,
    levels: 8,
    seed,
  });
}

// Bins on both sides of the mode, where p is far from flat (uniform noise loses 0.19-1.2 nats there).
const VALUES = [0, 1, 3, 4];

/** The mean of `draws` one-draw ELBOs per value (nats). */
function meanElbo(vd: VariationalDequantization, draws: number, seed: number): number[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(
      VALUES.flatMap((v) => Array<number>(draws).fill(v)),
      [VALUES.length * draws, 1],
    );
    const elbo = vd.elbo(x, { random: seed });
    return Array.from(tf.mean(tf.reshape(elbo, [VALUES.length, draws]), 1).dataSync());
  });
}

describe('VariationalDequantization', () => {
  it('computes log p(x + b·σ(z)) − log q(z | x) + Σ log σ′(z) for the draws it makes', () => {
    const vd = new VariationalDequantization({
      model: new DiagonalNormal({ size: 3, mean: [0.2, 0.5, 0.1], logScale: [-1, -0.5, -2] }),
      dequantizer: new ConditionalDiagonalNormal({ size: 3, contextSize: 3, hidden: [8], seed: 4 }),
      binWidth: 1 / 255,
    });
    for (const variable of vd.dequantizer.trainableVariables) tf.tidy(() => variable.assign(tf.randomUniform(variable.shape, -0.5, 0.5, 'float32', 3)));
    tf.tidy(() => {
      const x = tf.div(tf.tensor2d([0, 10, 255, 3, 128, 7], [2, 3]), 255);
      const elbo = vd.elbo(x, { random: 9 });
      const y = vd.dequantize(x, { random: 9 });
      const u = tf.div(tf.sub(y, x), 1 / 255);
      expect(tf.min(u).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.max(u).dataSync()[0]).toBeLessThan(1);
      const z = tf.log(tf.div(u, tf.sub(1, u)));
      const logSigmoidPrime = tf.sum(tf.add(tf.log(u), tf.log(tf.sub(1, u))), 1);
      const expected = tf.add(tf.sub(vd.model.logProb(y), vd.dequantizer.logProb(z, x)), logSigmoidPrime);
      const got = Array.from(elbo.dataSync());
      Array.from(expected.dataSync()).forEach((value, i) => expect(got[i]).toBeCloseTo(value, 2));
    });
    vd.dispose();
  });

  it('stays below log P(v) (Jensen), and learning q alone closes most of the gap that uniform noise leaves', () => {
    const vd = build(2);
    const before = meanElbo(vd, 4000, 11);
    VALUES.forEach((v, i) => expect(before[i], `v = ${v}`).toBeLessThan(exactLogMass(v) + 0.01));
    const optimizer = tf.train.adam(0.02);
    const random = new Random(5);
    const x = tf.tensor2d(
      VALUES.flatMap((v) => Array<number>(64).fill(v)),
      [VALUES.length * 64, 1],
    );
    for (let step = 0; step < 400; step++) {
      optimizer.minimize(() => vd.loss(x, random), false, vd.trainableVariables)?.dispose();
    }
    x.dispose();
    optimizer.dispose();
    const after = meanElbo(vd, 4000, 12);
    VALUES.forEach((v, i) => {
      const gapUniform = exactLogMass(v) - uniformBound(v);
      const gapLearned = exactLogMass(v) - after[i];
      expect(gapLearned, `v = ${v}: learned gap`).toBeGreaterThan(-0.01);
      expect(gapLearned, `v = ${v}: learned gap ${gapLearned} against uniform's ${gapUniform}`).toBeLessThan(0.25 * gapUniform);
    });
    // More draws tighten the bound: the importance-weighted one, with 4 096 draws, lies above the
    // ELBO and at log P(v) within its Monte Carlo error (its mean ratio is P(v) exactly; ±0.02 nats
    // holds for every seed tried: the ratio p/q_u has long tails where q is narrower than p).
    const weighted = tf.tidy(() =>
      Array.from(vd.importanceWeightedLogProb(tf.tensor2d(VALUES, [VALUES.length, 1]), 4096, { random: 3, chunk: 512 }).dataSync()),
    );
    VALUES.forEach((v, i) => {
      expect(weighted[i], `v = ${v}`).toBeGreaterThan(after[i]);
      expect(Math.abs(weighted[i] - exactLogMass(v)), `v = ${v}`).toBeLessThan(0.02);
    });
    vd.dispose();
  });

  it('trains the model and the dequantizer together: the loss reaches every trainable variable', () => {
    const vd = new VariationalDequantization({
      model: new DiagonalNormal({ size: 2 }),
      dequantizer: new ConditionalDiagonalNormal({ size: 2, contextSize: 2, hidden: [4], seed: 1 }),
      binWidth: 0.5,
    });
    for (const variable of vd.dequantizer.trainableVariables) tf.tidy(() => variable.assign(tf.randomUniform(variable.shape, -0.5, 0.5, 'float32', 3)));
    const x = tf.tensor2d([0, 0.5, 1, 1.5], [2, 2]);
    const tensors = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => vd.loss(x, 3), vd.trainableVariables);
    expect(Object.keys(grads).length).toBe(vd.model.trainableVariables.length + vd.dequantizer.trainableVariables.length);
    tf.tidy(() => {
      for (const variable of vd.trainableVariables) expect(tf.any(tf.notEqual(grads[variable.name], 0)).dataSync()[0], variable.name).toBe(1);
    });
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(tensors);
    x.dispose();
    vd.dispose();
  });

  it('samples whole bins within its levels, leaks nothing, and saves both parts', () => {
    const vd = new VariationalDequantization({
      model: new DiagonalNormal({ size: 4, mean: [0.5, 0, 1, 0.3], logScale: [-1, -1, -1, -3] }),
      dequantizer: new ConditionalDiagonalNormal({ size: 4, contextSize: 4, hidden: [4], seed: 2 }),
      binWidth: 1 / 15,
      levels: 16,
    });
    const tensors = tf.memory().numTensors;
    const samples = vd.sample(500, { random: 4 });
    const v = tf.tidy(() => Array.from(tf.mul(samples, 15).dataSync()));
    samples.dispose();
    for (const value of v) {
      expect(Math.abs(value - Math.round(value))).toBeLessThan(1e-4);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(15 + 1e-4);
    }
    expect(v.some((value) => Math.round(value) === 0) && v.some((value) => Math.round(value) === 15)).toBe(true);
    const x = tf.tidy(() => tf.div(tf.tensor2d([0, 1, 2, 3], [1, 4]), 15));
    for (const [name, call] of [
      ['elbo', () => vd.elbo(x)],
      ['importanceWeightedLogProb', () => vd.importanceWeightedLogProb(x, 5, { chunk: 2 })],
      ['dequantize', () => vd.dequantize(x)],
    ] as const) {
      call().dispose();
      expect(tf.memory().numTensors, name).toBe(tensors + 1);
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(tensors);

    const rebuilt = VariationalDequantization.fromJSON(JSON.parse(JSON.stringify(vd.toJSON())));
    expect(rebuilt.getConfig()).toEqual(vd.getConfig());
    expect(rebuilt.variables.map((variable) => variable.shape)).toEqual(vd.variables.map((variable) => variable.shape));
    rebuilt.dispose();
    vd.dispose();
  });

  it('refuses parts that do not fit together, and events of another shape, by name', () => {
    const model = new StandardNormal([3]);
    expect(() => new VariationalDequantization({ model, dequantizer: new StandardNormal([3]), binWidth: 1 })).toThrow(/context width 3/);
    const dequantizer = new ConditionalDiagonalNormal({ size: 2, contextSize: 2, seed: 1 });
    expect(() => new VariationalDequantization({ model, dequantizer, binWidth: 1 })).toThrow(/rows of 3 values/);
    expect(() => new VariationalDequantization({ model: new StandardNormal([2]), dequantizer, binWidth: 0 })).toThrow(/binWidth/);
    expect(() => new VariationalDequantization({ model: new StandardNormal([2]), dequantizer, bins: 4 } as never)).toThrow(/bins/);
    expect(() => new VariationalDequantization({ model: new StandardNormal([2]), dequantizer } as never)).toThrow(
      /binWidth is required: the width of one bin in the data's units \(1\/256 for 8-bit images as x = v\/256/,
    );
    const vd = new VariationalDequantization({ model: new StandardNormal([2]), dequantizer, binWidth: 0.25 });
    const wrong = tf.zeros([2, 3]);
    expect(() => vd.elbo(wrong)).toThrow(/VariationalDequantization.elbo/);
    wrong.dispose();
    const x = tf.zeros([2, 2]);
    expect(() => vd.elbo(x, { samples: 4 } as never)).toThrow(/VariationalDequantization.elbo: unknown option 'samples'/);
    expect(() => vd.importanceWeightedLogProb(x, 2, { seed: 5 } as never)).toThrow(/unknown option 'seed'/);
    expect(() => VariationalDequantization.fromJSON(model.toJSON())).toThrow(/expected a VariationalDequantization/);
    // Saved as a model, not a distribution (the package's entry point registers it so): the registry names the way to load it.
    registerVariationalDequantization();
    expect(() => distributionFromJSON(vd.toJSON())).toThrow(/'VariationalDequantization' is a model, not a distribution: .*VariationalDequantization.fromJSON/);
    vd.dispose();
    const tensors = tf.memory().numTensors;
    expect(() => vd.loss(x)).toThrow(/VariationalDequantization.loss: this VariationalDequantization has been disposed/);
    expect(() => vd.elbo(x)).toThrow(/has been disposed/);
    expect(tf.memory().numTensors).toBe(tensors);
    x.dispose();
  });
});
