import * as tf from '@tensorflow/tfjs-core';
import { Exp } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import { Bernoulli } from './bernoulli.js';
import { type Distribution, NoClosedFormError } from './distribution.js';
import { Logistic } from './logistic.js';
import { MixtureOfGaussians } from './mixture-of-gaussians.js';
import { DiagonalNormal, StandardNormal } from './normal.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { Uniform } from './uniform.js';

/** −mean log p(X) over n samples, with its standard error. */
function monteCarloEntropy(distribution: Distribution, n: number): { mean: number; standardError: number } {
  const values = Array.from(tf.tidy(() => tf.neg(distribution.logProb(distribution.sample(n, { random: 11 }))).dataSync()));
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, standardError: Math.sqrt(variance / n) };
}

describe('entropy in closed form', () => {
  const cases: [string, () => Distribution][] = [
    ['StandardNormal', () => new StandardNormal(3)],
    ['DiagonalNormal', () => new DiagonalNormal({ size: 2, mean: [1, -2], logScale: [0.5, -1] })],
    ['Uniform', () => new Uniform({ low: [0, -1], high: [2, 0.5] })],
    ['Logistic', () => new Logistic({ size: 2, loc: [0, 3], logScale: [0.2, -0.7] })],
  ];
  for (const [name, build] of cases) {
    it(`${name}: equals −E[log p(X)] by Monte Carlo within 4 standard errors`, () => {
      const distribution = build();
      const estimate = monteCarloEntropy(distribution, 40_000);
      expect(Math.abs(distribution.entropy() - estimate.mean)).toBeLessThan(4 * estimate.standardError + 1e-4);
      distribution.dispose();
    });
  }

  it('known values: N(0, I₃), U([0, 2] × [−1, 0.5]), and a Bernoulli summed over its four outcomes', () => {
    expect(new StandardNormal(3).entropy()).toBeCloseTo(1.5 * (1 + Math.log(2 * Math.PI)), 10);
    expect(new Uniform({ low: [0, -1], high: [2, 0.5] }).entropy()).toBeCloseTo(Math.log(3), 10);
    const bernoulli = new Bernoulli({ size: 2, logits: [0.3, -40] });
    const outcomes = tf.tensor2d([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const logProbs = Array.from(bernoulli.logProb(outcomes).dataSync());
    const exact = -logProbs.reduce((sum, l) => sum + (Number.isFinite(l) ? Math.exp(l) * l : 0), 0);
    expect(bernoulli.entropy()).toBeCloseTo(exact, 5);
    expect(Number.isFinite(bernoulli.entropy())).toBe(true);
    tf.dispose(outcomes);
    bernoulli.dispose();
  });

  it('a mixture or a flow has none: a named error that says how to estimate it', () => {
    const mixture = new MixtureOfGaussians({ size: 2, components: 3, seed: 1 });
    expect(() => mixture.entropy()).toThrow(NoClosedFormError);
    expect(() => mixture.entropy()).toThrow(/MixtureOfGaussians has no closed-form entropy; estimate it by Monte Carlo/);
    mixture.dispose();
  });

  it('every distribution here is one distribution over its events: batchShape []', () => {
    expect(new StandardNormal([28, 28, 1]).batchShape).toEqual([]);
    expect(new Uniform({ low: [0], high: [1] }).batchShape).toEqual([]);
  });
});

describe('the course notes’ X = exp(Z) example, with the built-in Exp', () => {
  it('gives the log-normal density p(x) = N(log x; 0, 1) / x and its median 1', () => {
    const logNormal = new TransformedDistribution(new StandardNormal(1), new Exp());
    const x = [0.2, 1, 3.5];
    const logProb = Array.from(logNormal.logProb(tf.tensor2d(x, [3, 1])).dataSync());
    x.forEach((value, i) => expect(logProb[i]).toBeCloseTo(-0.5 * Math.log(2 * Math.PI) - 0.5 * Math.log(value) ** 2 - Math.log(value), 5));
    const samples = Array.from(tf.tidy(() => logNormal.sample(20_001, { random: 3 }).dataSync())).sort((a, b) => a - b);
    expect(samples[10_000]).toBeGreaterThan(0.96);
    expect(samples[10_000]).toBeLessThan(1.04);
  });
});
