import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { SbiTwoMoons } from './sbi-two-moons.js';
import { simulatePairs } from './simulation-task.js';

describe('SbiTwoMoons', () => {
  const task = new SbiTwoMoons();

  it('its likelihood is a density in x (it integrates to 1 on a grid) that the simulator draws from', () => {
    const theta = [0.3, -0.6];
    const h = 0.001;
    let mass = 0;
    let meanX = 0;
    // The crescent around (0.25 − |θ₁+θ₂|/√2, (θ₂−θ₁)/√2) lies within 0.2 of it.
    const cx = 0.25 - Math.abs(theta[0] + theta[1]) / Math.SQRT2;
    const cy = (theta[1] - theta[0]) / Math.SQRT2;
    for (let x = cx - 0.01; x < cx + 0.2; x += h) {
      for (let y = cy - 0.2; y < cy + 0.2; y += h) {
        const p = Math.exp(task.logLikelihood([x, y], theta)) * h * h;
        mass += p;
        meanX += p * x;
      }
    }
    expect(mass).toBeCloseTo(1, 2);
    const thetas = tf.tile(tf.tensor2d([theta]), [20_000, 1]) as tf.Tensor2D;
    const x = task.simulate(thetas, 3);
    const simulatedMean = tf.mean(x, 0).arraySync() as number[];
    expect(simulatedMean[0]).toBeCloseTo(meanX, 3);
    expect(simulatedMean[1]).toBeCloseTo(cy, 2);
    tf.dispose([thetas, x]);
  });

  it('draws the reference posterior exactly: its moments match an importance-sampling estimate from the prior, both crescents equally', () => {
    const samples = task.referencePosterior(4000, { random: 5 });
    const values = samples.arraySync();
    expect(values.every((t) => task.inPriorSupport(t) && Number.isFinite(task.logLikelihood(task.observation, t)))).toBe(true);
    // An independent estimate of E[θ₁ − θ₂] and E[|θ₁ + θ₂|]: prior draws weighted by the likelihood.
    const random = new Random(6);
    let [weight, difference, absoluteSum] = [0, 0, 0];
    for (let i = 0; i < 2_000_000; i++) {
      const t = [random.uniform() * 2 - 1, random.uniform() * 2 - 1];
      const w = Math.exp(task.logLikelihood(task.observation, t));
      weight += w;
      difference += w * (t[0] - t[1]);
      absoluteSum += w * Math.abs(t[0] + t[1]);
    }
    const mean = (f: (t: number[]) => number) => values.reduce((s, t) => s + f(t), 0) / values.length;
    expect(mean((t) => t[0] - t[1])).toBeCloseTo(difference / weight, 2);
    expect(mean((t) => Math.abs(t[0] + t[1]))).toBeCloseTo(absoluteSum / weight, 2);
    // The two crescents (θ₁ + θ₂ above and below 0) are mirror images: each holds half.
    expect(mean((t) => (t[0] + t[1] > 0 ? 1 : 0))).toBeGreaterThan(0.46);
    expect(mean((t) => (t[0] + t[1] > 0 ? 1 : 0))).toBeLessThan(0.54);
    samples.dispose();
  });

  it('simulates pairs from the prior, and refuses bad shapes and observations', () => {
    const { theta, x } = simulatePairs(task, 100, 7);
    expect(theta.shape).toEqual([100, 2]);
    expect(x.shape).toEqual([100, 2]);
    expect((theta.arraySync() as number[][]).every((t) => task.inPriorSupport(t))).toBe(true);
    tf.dispose([theta, x]);
    expect(() => task.simulate(tf.zeros([3, 3]) as tf.Tensor2D)).toThrow(/shape \[n, 2\]/);
    expect(() => new SbiTwoMoons([0, Number.NaN])).toThrow(/2 finite numbers/);
    expect(() => task.referencePosterior(1, { observation: [5, 5] })).toThrow(/reachable from the prior/);
  });
});
