// Neural posterior estimation at small sizes: a conditional flow q(θ | x) fitted to simulated
// pairs (θ ~ prior, x ~ simulator(θ)), then sampled at the task's observation (one context row
// for all draws). scripts/sbi-npe.mjs runs the same at the benchmark's sizes.
import * as tf from '@tensorflow/tfjs-core';
import { SbiGaussianLinear, SbiTwoMoons, type SimulationTask, simulatePairs } from '@flows/datasets';
import { describe, expect, it } from 'vitest';
import { maf, realNVP } from '@flows/builders';
import { classifierTwoSampleTest, fit, relativeFrobeniusError, sampleMoments, tensorData } from '@flows/training';

/** Draws of the fitted posterior at the observation that fall inside the prior's support (sbi rejects the rest). */
function posteriorDraws(task: SimulationTask, sample: (n: number) => tf.Tensor2D, n: number): tf.Tensor2D {
  const kept: number[][] = [];
  while (kept.length < n) {
    const draws = sample(n);
    for (const row of draws.arraySync()) if (kept.length < n && task.inPriorSupport(row)) kept.push(row);
    draws.dispose();
  }
  return tf.tensor2d(kept);
}

describe('neural posterior estimation', () => {
  it('Gaussian linear (2-D, 2 000 simulations): the posterior mean and covariance within 25 % (Frobenius, relative) of the closed form', async () => {
    const task = new SbiGaussianLinear({ dimension: 2 });
    const { theta, x } = simulatePairs(task, 2000, 1);
    const flow = maf({ size: 2, layers: 2, hidden: [16], contextSize: 2, seed: 2 });
    await fit(flow, tensorData(theta, x), { epochs: 10, batchSize: 100, learningRate: 1e-2, random: 3 });
    const observation = tf.tensor2d([task.observation as number[]]);
    const draws = posteriorDraws(task, (n) => flow.sample(n, { context: observation, random: 4 }) as tf.Tensor2D, 5000);
    const estimate = sampleMoments(draws);
    const exact = task.posterior();
    expect(relativeFrobeniusError(estimate.mean, exact.mean)).toBeLessThan(0.25);
    expect(relativeFrobeniusError(estimate.covariance, exact.covariance)).toBeLessThan(0.25);
    tf.dispose([theta, x, observation, draws]);
    flow.dispose();
  });

  it('two moons (2 000 simulations): the C2ST against rejection samples of the reference posterior falls far below the prior’s', async () => {
    const task = new SbiTwoMoons();
    const { theta, x } = simulatePairs(task, 2000, 5);
    // Affine couplings: the spline flow of scripts/sbi-npe.mjs fits the crescents better but costs ten times as much on the tests' cpu backend.
    const flow = realNVP({ size: 2, layers: 4, hidden: [32], contextSize: 2, seed: 6 });
    await fit(flow, tensorData(theta, x), { epochs: 15, batchSize: 100, learningRate: 1e-2, random: 7 });
    const observation = tf.tensor2d([task.observation as number[]]);
    const reference = task.referencePosterior(300, { random: 8 });
    const draws = posteriorDraws(task, (n) => flow.sample(n, { context: observation, random: 9 }) as tf.Tensor2D, 500);
    const prior = task.samplePrior(300, 10);
    const settings = { maxEpochs: 40, batchSize: 50, learningRate: 1e-2, random: 11 };
    const npe = classifierTwoSampleTest(reference, draws, settings).accuracy;
    const fromPrior = classifierTwoSampleTest(reference, prior, settings).accuracy;
    expect(fromPrior, `C2ST of the prior: ${fromPrior}`).toBeGreaterThan(0.9);
    expect(npe, `C2ST of NPE: ${npe}`).toBeLessThan(0.8);
    tf.dispose([theta, x, observation, reference, draws, prior]);
    flow.dispose();
  });
});
