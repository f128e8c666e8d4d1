import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Chequerboard, type GaussianMixtureToy, NoExactDensityError, type Rings, TOY_NAMES, toyByName, type ToyDistribution } from './index.js';

function gridIntegral(toy: ToyDistribution, range: [[number, number], [number, number]], cells: number): number {
  const [[x0, x1], [y0, y1]] = range;
  const hx = (x1 - x0) / cells;
  const hy = (y1 - y0) / cells;
  const points = new Float32Array(cells * cells * 2);
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      points[2 * (i * cells + j)] = x0 + (i + 0.5) * hx;
      points[2 * (i * cells + j) + 1] = y0 + (j + 0.5) * hy;
    }
  }
  const total = tf.tidy(() => tf.sum(tf.exp(toy.logProb(tf.tensor2d(points, [cells * cells, 2])))).dataSync()[0]);
  return total * hx * hy;
}

function monteCarloEntropy(toy: ToyDistribution, n: number, seed: number): { mean: number; standardError: number } {
  const x = toy.sample(n, { random: seed });
  const logProb = toy.logProb(x);
  const values = logProb.dataSync();
  tf.dispose([x, logProb]);
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  const mean = sum / n;
  return { mean: -mean, standardError: Math.sqrt((sumSquares / n - mean * mean) / n) };
}

function sampleMoments(toy: ToyDistribution, n: number, seed: number) {
  const x = toy.sample(n, { random: seed });
  const values = x.dataSync();
  x.dispose();
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += values[2 * i];
    my += values[2 * i + 1];
  }
  mx /= n;
  my /= n;
  let vx = 0;
  let vy = 0;
  let cxy = 0;
  for (let i = 0; i < n; i++) {
    vx += (values[2 * i] - mx) ** 2;
    vy += (values[2 * i + 1] - my) ** 2;
    cxy += (values[2 * i] - mx) * (values[2 * i + 1] - my);
  }
  return { mean: [mx, my], variance: [vx / n, vy / n], covariance: cxy / n, values };
}

describe('TwoGaussians (the exercise)', () => {
  const toy = toyByName('two-gaussians') as GaussianMixtureToy;

  it('has the specified parameters and log-density', () => {
    const logProb = toy.logProb(
      tf.tensor2d([
        [0.25, 0.25],
        [0.75, 0.75],
      ]),
    );
    const [a, b] = logProb.dataSync();
    logProb.dispose();
    const peak = (w: number) => Math.log(w / (2 * Math.PI * 0.01));
    // Each component's peak, plus the other's negligible tail (exp(-25)).
    expect(a).toBeCloseTo(peak(0.8), 4);
    expect(b).toBeCloseTo(peak(0.2), 4);
  });

  it('integrates to 1 on [-0.5, 1.5]^2 at 400 x 400 (within 1e-3)', () => {
    expect(
      Math.abs(
        gridIntegral(
          toy,
          [
            [-0.5, 1.5],
            [-0.5, 1.5],
          ],
          400,
        ) - 1,
      ),
    ).toBeLessThan(1e-3);
  });

  it('entropy ≈ −1.268 nats, and a Monte Carlo estimate agrees', () => {
    // The spec's -1.268 is a 4-million-sample Monte Carlo figure (standard error about 5e-4).
    expect(Math.abs(toy.entropy() - -1.268)).toBeLessThan(2e-3);
    // Nearly separated components: entropy ≈ log(2πe σ²) + H(1/5, 4/5).
    const separated = Math.log(2 * Math.PI * Math.E * 0.01) - (0.2 * Math.log(0.2) + 0.8 * Math.log(0.8));
    expect(Math.abs(toy.entropy() - separated)).toBeLessThan(1e-3);
    const mc = monteCarloEntropy(toy, 200_000, 1);
    expect(Math.abs(mc.mean - toy.entropy())).toBeLessThan(4 * mc.standardError + 1e-3);
  });

  it('sample moments match the closed form; about 1.2 % fall outside the unit square', () => {
    const { mean, covariance } = toy.moments();
    expect(mean[0]).toBeCloseTo(0.35, 12);
    expect(mean[1]).toBeCloseTo(0.35, 12);
    const s = sampleMoments(toy, 200_000, 2);
    // mean standard error ≈ sqrt(0.05 / 2e5) = 5e-4
    expect(Math.abs(s.mean[0] - mean[0])).toBeLessThan(0.003);
    expect(Math.abs(s.mean[1] - mean[1])).toBeLessThan(0.003);
    expect(Math.abs(s.variance[0] - covariance[0][0])).toBeLessThan(0.002);
    expect(Math.abs(s.covariance - covariance[0][1])).toBeLessThan(0.002);
    let outside = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = s.values[2 * i];
      const y = s.values[2 * i + 1];
      if (x < 0 || x > 1 || y < 0 || y > 1) outside++;
    }
    expect(outside / 200_000).toBeGreaterThan(0.009);
    expect(outside / 200_000).toBeLessThan(0.015);
  });
});

describe('Chequerboard (the exercise)', () => {
  const toy = toyByName('chequerboard') as Chequerboard;

  it('density 9/5 on the five even squares, −∞ elsewhere, boundary inclusive', () => {
    const points = [
      [1 / 6, 1 / 6],
      [0.5, 0.5],
      [5 / 6, 1 / 6],
      [0.5, 1 / 6],
      [1 / 6, 0.5],
      [0, 0],
      [1, 1],
      [1 / 3, 0.5],
      [1 / 3, 1 / 3],
      [1.01, 0.5],
      [-0.001, 0.1],
    ];
    const logProb = toy.logProb(tf.tensor2d(points));
    const values = Array.from(logProb.dataSync());
    logProb.dispose();
    const on = Math.log(9 / 5);
    expect(values.map((v) => (v === -Infinity ? '-inf' : +v.toFixed(5)))).toEqual([
      +on.toFixed(5),
      +on.toFixed(5),
      +on.toFixed(5),
      '-inf',
      '-inf',
      +on.toFixed(5),
      +on.toFixed(5),
      +on.toFixed(5),
      +on.toFixed(5),
      '-inf',
      '-inf',
    ]);
    expect(toy.entropy()).toBeCloseTo(-0.5878, 4);
  });

  it('integrates to 1, and samples lie on the support with the closed-form moments', () => {
    expect(
      Math.abs(
        gridIntegral(
          toy,
          [
            [-0.5, 1.5],
            [-0.5, 1.5],
          ],
          600,
        ) - 1,
      ),
    ).toBeLessThan(1e-3);
    const mc = monteCarloEntropy(toy, 50_000, 3);
    expect(mc.mean).toBeCloseTo(toy.entropy(), 5);
    const { mean, variance } = toy.moments();
    const s = sampleMoments(toy, 200_000, 4);
    expect(Math.abs(s.mean[0] - mean[0])).toBeLessThan(0.003);
    expect(Math.abs(s.variance[1] - variance[1])).toBeLessThan(0.002);
  });

  it('the 4 x 4 board has eight squares and density 2', () => {
    const board = toyByName('chequerboard-4x4') as Chequerboard;
    expect(board.squares.length).toBe(8);
    expect(board.entropy()).toBeCloseTo(-Math.log(2), 10);
    expect(
      Math.abs(
        gridIntegral(
          board,
          [
            [0, 1],
            [0, 1],
          ],
          400,
        ) - 1,
      ),
    ).toBeLessThan(1e-3);
  });
});

describe('more exact toys', () => {
  it('eight Gaussians: integrates to 1, entropy by quadrature agrees with Monte Carlo and with the closed form log 8 + log(2πe σ²)', () => {
    const toy = toyByName('eight-gaussians') as GaussianMixtureToy;
    expect(
      Math.abs(
        gridIntegral(
          toy,
          [
            [-3, 3],
            [-3, 3],
          ],
          600,
        ) - 1,
      ),
    ).toBeLessThan(1e-3);
    // The components barely overlap, so the entropy is that of one Gaussian plus log 8.
    expect(toy.entropy()).toBeCloseTo(Math.log(8) + Math.log(2 * Math.PI * Math.E * 0.01), 4);
    const mc = monteCarloEntropy(toy, 100_000, 5);
    expect(Math.abs(mc.mean - toy.entropy())).toBeLessThan(4 * mc.standardError + 1e-3);
    const s = sampleMoments(toy, 100_000, 6);
    expect(Math.abs(s.mean[0])).toBeLessThan(0.02);
    expect(Math.abs(s.variance[0] - toy.moments().covariance[0][0])).toBeLessThan(0.03);
  });

  it('rings: integrates to 1, mean squared radius and entropy match', () => {
    const toy = toyByName('rings') as Rings;
    expect(
      Math.abs(
        gridIntegral(
          toy,
          [
            [-1.3, 1.3],
            [-1.3, 1.3],
          ],
          700,
        ) - 1,
      ),
    ).toBeLessThan(2e-3);
    const mc = monteCarloEntropy(toy, 100_000, 7);
    expect(Math.abs(mc.mean - toy.entropy())).toBeLessThan(4 * mc.standardError + 1e-3);
    const x = toy.sample(100_000, { random: 8 });
    const r2 = tf.tidy(() => tf.mean(tf.sum(tf.square(x), 1)).dataSync()[0]);
    x.dispose();
    expect(Math.abs(r2 - toy.meanSquaredRadius())).toBeLessThan(0.005);
  });
});

describe('sample-only toys', () => {
  it('say so, and follow their recipes', () => {
    for (const name of ['two-moons', 'pinwheel', 'swiss-roll', 'two-spirals']) {
      const toy = toyByName(name);
      expect(toy.hasExactDensity).toBe(false);
      expect(() => toy.entropy()).toThrow(/no closed-form entropy \(the toy is sample-only\)/);
      expect(() => toy.logProb(tf.zeros([1, 2]))).toThrow(NoExactDensityError);
    }
    const moons = sampleMoments(toyByName('two-moons'), 100_000, 9);
    // Upper moon mean (0, 2/π), lower moon (1, 0.5 − 2/π): overall (0.5, 0.25).
    expect(Math.abs(moons.mean[0] - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(moons.mean[1] - 0.25)).toBeLessThan(0.01);
    // Point-symmetric (two spirals) and 5-fold symmetric (pinwheel) toys have mean 0.
    for (const name of ['two-spirals', 'pinwheel']) {
      const s = sampleMoments(toyByName(name), 100_000, 10);
      expect(Math.hypot(s.mean[0], s.mean[1])).toBeLessThan(0.03);
    }
  });

  it('every name builds, and an unknown name lists the known ones', () => {
    for (const name of TOY_NAMES) expect(toyByName(name).name).toBe(name);
    expect(() => toyByName('three-gaussians')).toThrow(/unknown dataset 'three-gaussians'; expected one of: two-gaussians, chequerboard/);
  });
});
