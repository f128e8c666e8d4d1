import * as tf from '@tensorflow/tfjs-core';
import { Bijector, Random, sumEventAxes } from '@flows/core';
import { ElementwiseScale, MaskedAffineCoupling } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import { DiagonalNormal, distributionFromJSON, StandardNormal, TransformedDistribution, Uniform } from './index.js';

const values = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

/** x = a z + b on one coordinate, as a coupling with an all-zero mask and constant conditioners. */
const scalarAffine = (a: number, b: number) =>
  new MaskedAffineCoupling({
    mask: [0],
    scale: (u) => tf.fill(u.shape, Math.log(a)) as tf.Tensor2D,
    translation: (u) => tf.fill(u.shape, b) as tf.Tensor2D,
    scaleTanh: false,
  });

/** The course notes' 3-D example: f(z) = (z1, e^{z1} z2, cbrt(e^{-z1} z3 + z1²)). */
class CourseNotesMap extends Bijector {
  static override readonly className: string = 'CourseNotesMap';
  readonly eventShape = [3];
  getConfig() {
    return {};
  }
  protected forwardImpl(z: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [z1, z2, z3] = tf.split(z, 3, 1);
    const inner = tf.add(tf.mul(tf.exp(tf.neg(z1)), z3), tf.square(z1));
    const x3 = tf.mul(tf.sign(inner), tf.pow(tf.abs(inner), 1 / 3));
    const x = tf.concat([z1, tf.mul(tf.exp(z1), z2), x3], 1);
    return [x, tf.neg(sumEventAxes(tf.log(tf.mul(3, tf.square(x3)))))];
  }
  protected override inverseImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [x1, x2, x3] = tf.split(x, 3, 1);
    const z = tf.concat([x1, tf.mul(x2, tf.exp(tf.neg(x1))), tf.mul(tf.sub(tf.pow(x3, 3), tf.square(x1)), tf.exp(x1))], 1);
    return [z, sumEventAxes(tf.log(tf.mul(3, tf.square(x3))))];
  }
}

describe('base distributions', () => {
  it('StandardNormal log-density and sample moments', () => {
    const normal = new StandardNormal(2);
    const [lp] = values(normal.logProb(tf.tensor2d([[1, -2]])));
    expect(lp).toBeCloseTo(-0.5 * 5 - Math.log(2 * Math.PI), 5);
    const samples = normal.sample(20_000, { random: 3, temperature: 0.5 });
    const { mean, variance } = tf.moments(samples, 0);
    values(mean).forEach((m) => expect(Math.abs(m)).toBeLessThan(0.02)); // standard error 0.0035
    values(variance).forEach((v) => expect(v).toBeCloseTo(0.25, 1));
    samples.dispose();
    expect(values(normal.sample(3, { random: 9 }))).toEqual(values(normal.sample(3, { random: 9 })));
  });

  it('DiagonalNormal log-density by formula, and trainable variables', () => {
    const d = new DiagonalNormal({ eventShape: 2, mean: [1, -1], logScale: [Math.log(2), 0] });
    const [lp] = values(d.logProb(tf.tensor2d([[3, 0]])));
    const expected = -0.5 * 1 - Math.log(2) - 0.5 * Math.log(2 * Math.PI) + (-0.5 * 1 - 0.5 * Math.log(2 * Math.PI));
    expect(lp).toBeCloseTo(expected, 5);
    expect(d.trainableVariables.length).toBe(2);
  });

  it('Uniform: inclusive bounds, -Infinity outside', () => {
    const u = new Uniform({ low: [0, 0], high: [2, 0.5] });
    const lp = values(
      u.logProb(
        tf.tensor2d([
          [0, 0],
          [2, 0.5],
          [1, 0.25],
          [2.0001, 0.1],
          [-1, 0],
        ]),
      ),
    );
    expect(lp.slice(0, 3).every((v) => Math.abs(v - 0) < 1e-6)).toBe(true);
    expect(lp.slice(3)).toEqual([-Infinity, -Infinity]);
    expect(() => new Uniform({ low: [1], high: [1] })).toThrow(/low\[0\] < high\[0\]/);
  });

  it('rejects bad input with a clear error', () => {
    const normal = new StandardNormal(3);
    expect(() => normal.logProb(tf.zeros([2, 2]))).toThrow(/event shape \[3\].*\[2, 2\]/);
    expect(() => normal.logProb(tf.tensor2d([[NaN, 0, 0]]))).toThrow(/NaN/);
    expect(() => normal.sample(0)).toThrow(/positive integer/);
    expect(() => normal.sample(2, { temperature: -1 })).toThrow(/temperature/);
  });
});

describe('TransformedDistribution (course notes worked examples)', () => {
  it('z ~ N(0,1), x = a z + b is N(b, a²)', () => {
    const a = 1.7;
    const b = -0.4;
    const flow = new TransformedDistribution(new StandardNormal(1), scalarAffine(a, b));
    const xs = [-2, 0, 0.3, 4];
    const lp = values(flow.logProb(tf.tensor2d(xs, [4, 1])));
    xs.forEach((x, i) => expect(lp[i]).toBeCloseTo(-0.5 * ((x - b) / a) ** 2 - Math.log(a) - 0.5 * Math.log(2 * Math.PI), 5));
    const samples = flow.sample(40_000, { random: 5 });
    const { mean, variance } = tf.moments(samples);
    expect(values(mean)[0]).toBeCloseTo(b, 1); // standard error 0.0085
    expect(Math.abs(values(variance)[0] - a * a)).toBeLessThan(0.06); // standard error 0.02
    samples.dispose();
    const [x, logProb] = flow.sampleAndLogProb(5, { random: 1 });
    const direct = flow.logProb(x);
    values(tf.sub(logProb, direct)).forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-5));
    tf.dispose([x, logProb, direct]);
  });

  it('X = 4 Z with Z ~ U[0, 2]: p_X(4) = 1/8, and 0 outside [0, 8]', () => {
    const flow = new TransformedDistribution(new Uniform({ low: [0], high: [2] }), new ElementwiseScale({ size: 1, logScale: [Math.log(4)] }));
    const lp = values(flow.logProb(tf.tensor2d([4, 9], [2, 1])));
    expect(Math.exp(lp[0])).toBeCloseTo(1 / 8, 6);
    expect(lp[1]).toBe(-Infinity);
  });

  it('the 3-D map with base U([0,2]^3): density 1/24 at (0, 1, 1/3) and 0 at (-1, 2, 1)', () => {
    const flow = new TransformedDistribution(new Uniform({ low: [0, 0, 0], high: [2, 2, 2] }), new CourseNotesMap());
    const lp = values(
      flow.logProb(
        tf.tensor2d([
          [0, 1, 1 / 3],
          [-1, 2, 1],
        ]),
      ),
    );
    expect(Math.exp(lp[0])).toBeCloseTo(1 / 24, 6);
    expect(lp[1]).toBe(-Infinity);
  });

  it('does not leak, and reloads from JSON', () => {
    const flow = new TransformedDistribution(new StandardNormal(2), new MaskedAffineCoupling({ mask: [1, 0], hidden: [4], seed: 1 }));
    const x = tf.randomNormal([8, 2]);
    const random = new Random(2);
    flow.logProb(x).dispose();
    flow.sample(4, { random }).dispose();
    tf.dispose(flow.sampleAndLogProb(4, { random }));
    const before = tf.memory().numTensors;
    flow.logProb(x).dispose();
    flow.sample(4, { random }).dispose();
    tf.dispose(flow.sampleAndLogProb(4, { random }));
    expect(tf.memory().numTensors).toBe(before);
    const copy = distributionFromJSON(JSON.parse(JSON.stringify(flow.toJSON())));
    expect(copy.className).toBe('TransformedDistribution');
    expect(copy.variables.map((v) => v.shape)).toEqual(flow.variables.map((v) => v.shape));
    x.dispose();
  });
});

describe('MixtureOfGaussians', () => {
  it('log-density by formula, integrates to 1, samples match the weights', async () => {
    const { MixtureOfGaussians } = await import('./index.js');
    const mixture = new MixtureOfGaussians({
      size: 2,
      components: 2,
      means: [0, 0, 3, 1],
      logScales: [0, 0, Math.log(0.5), Math.log(0.5)],
      logits: [0, Math.log(3)],
    });
    const [lp] = values(mixture.logProb(tf.tensor2d([[3, 1]])));
    const n = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (Math.sqrt(2 * Math.PI) * s);
    expect(lp).toBeCloseTo(Math.log(0.25 * n(3, 0, 1) * n(1, 0, 1) + 0.75 * n(3, 3, 0.5) * n(1, 1, 0.5)), 5);
    const cells = 200;
    const points: number[] = [];
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) points.push(-5 + (i + 0.5) * 0.05, -5 + (j + 0.5) * 0.05);
    const density = values(tf.tidy(() => tf.sum(tf.exp(mixture.logProb(tf.tensor2d(points, [cells * cells, 2]))))))[0] * 0.05 * 0.05;
    expect(Math.abs(density - 1)).toBeLessThan(2e-3);
    const samples = mixture.sample(20_000, { random: 4 });
    const nearSecond = values(tf.tidy(() => tf.mean(tf.cast(tf.greater(tf.slice(samples, [0, 0], [-1, 1]), 1.5), 'float32'))))[0];
    samples.dispose();
    expect(Math.abs(nearSecond - 0.75)).toBeLessThan(0.02);
  });
});

describe('Logistic and Bernoulli', () => {
  it('Logistic: log-density by formula, integrates to 1, sample mean and variance (π² s²/3)', async () => {
    const { Logistic } = await import('./index.js');
    const d = new Logistic({ size: 1, loc: [1], logScale: [Math.log(0.5)] });
    const [lp] = values(d.logProb(tf.tensor2d([[2]])));
    const z = (2 - 1) / 0.5;
    expect(lp).toBeCloseTo(-z - 2 * Math.log1p(Math.exp(-z)) - Math.log(0.5), 5);
    const grid = Array.from({ length: 4000 }, (_, i) => -20 + (i + 0.5) * 0.01);
    const mass = values(tf.tidy(() => tf.sum(tf.exp(d.logProb(tf.tensor2d(grid, [4000, 1]))))))[0] * 0.01;
    expect(Math.abs(mass - 1)).toBeLessThan(1e-3);
    const s = d.sample(100_000, { random: 2 });
    const { mean, variance } = tf.moments(s);
    expect(Math.abs(values(mean)[0] - 1)).toBeLessThan(0.02);
    expect(Math.abs(values(variance)[0] - (Math.PI ** 2 * 0.25) / 3)).toBeLessThan(0.03);
    s.dispose();
  });

  it('Bernoulli: log-probability of binary vectors sums to 1 over all outcomes; sample frequencies match σ(ℓ)', async () => {
    const { Bernoulli } = await import('./index.js');
    const d = new Bernoulli({ size: 2, logits: [0.5, -1] });
    const outcomes = tf.tensor2d([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const total = values(tf.tidy(() => tf.sum(tf.exp(d.logProb(outcomes)))))[0];
    expect(total).toBeCloseTo(1, 6);
    const s = d.sample(50_000, { random: 3 });
    const frequencies = values(tf.mean(s, 0));
    expect(Math.abs(frequencies[0] - 1 / (1 + Math.exp(-0.5)))).toBeLessThan(0.01);
    expect(Math.abs(frequencies[1] - 1 / (1 + Math.exp(1)))).toBeLessThan(0.01);
    s.dispose();
  });
});
