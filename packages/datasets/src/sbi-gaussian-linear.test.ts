import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SbiGaussianLinear } from './sbi-gaussian-linear.js';
import { simulatePairs } from './simulation-task.js';

describe('SbiGaussianLinear', () => {
  it('has the closed-form posterior of the benchmark: mean x/2 and covariance 0.05·I for its default variances', () => {
    const task = new SbiGaussianLinear();
    expect(task.parameterSize).toBe(10);
    const { mean, covariance } = task.posterior([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(mean).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(covariance[0][0]).toBeCloseTo(0.05, 12);
    expect(covariance[0][1]).toBe(0);
  });

  it("simulates what the posterior says: regressing θ on x gives the posterior's shrinkage and residual variance", () => {
    const task = new SbiGaussianLinear({ dimension: 2, priorVariance: 0.5, noiseVariance: 0.2 });
    const { theta, x } = simulatePairs(task, 50_000, 3);
    const [t, d] = [theta.arraySync(), x.arraySync()];
    let [sxy, sxx] = [0, 0];
    for (let i = 0; i < t.length; i++) {
      sxy += t[i][0] * d[i][0];
      sxx += d[i][0] * d[i][0];
    }
    const slope = sxy / sxx;
    let residual = 0;
    for (let i = 0; i < t.length; i++) residual += (t[i][0] - slope * d[i][0]) ** 2;
    const { covariance } = task.posterior([1, 1]);
    expect(slope).toBeCloseTo(0.5 / 0.7, 2);
    expect(residual / t.length).toBeCloseTo(covariance[0][0], 2);
    const reference = task.referencePosterior(20_000, { observation: [1, -1], random: 4 });
    const referenceMean = tf.mean(reference, 0).arraySync() as number[];
    expect(referenceMean[0]).toBeCloseTo(0.5 / 0.7, 2);
    expect(referenceMean[1]).toBeCloseTo(-0.5 / 0.7, 2);
    tf.dispose([theta, x, reference]);
    expect(() => new SbiGaussianLinear({ noiseVariance: 0 })).toThrow(/noiseVariance must be a positive number/);
  });
});
