import * as tf from '@tensorflow/tfjs-core';
import { isRegistered, Random } from '@flows/core';
import { toyByName } from '@flows/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContinuousFlow, flowMatchingLoss, maximumLikelihoodLoss, MLPVectorField, reflowPairs, registerVectorField, sampleTimes } from './index.js';
import { LinearVectorField } from './test-support/linear-field.js';

beforeAll(() => {
  if (!isRegistered('conditioner', LinearVectorField.className)) registerVectorField(LinearVectorField);
});

/** KL(p ‖ q) = E_p[log p − log q] from the toy's exact density on 1000 held-out points. */
function klFromToy(flow: ContinuousFlow, target: ReturnType<typeof toyByName>): number {
  return tf.tidy(() => {
    const x = target.sample(1000, { random: 99 });
    return tf.mean(tf.sub(target.logProb(x), flow.logProbWith(x, { solver: { method: 'dopri5', rtol: 1e-4, atol: 1e-4 } }))).dataSync()[0];
  });
}

function train(flow: ContinuousFlow, steps: number, learningRate: number, loss: (data: tf.Tensor, random: Random) => tf.Scalar, batch: number): void {
  const target = toyByName('two-gaussians');
  const optimizer = tf.train.adam(learningRate);
  const random = new Random(1);
  for (let step = 0; step < steps; step++) {
    tf.tidy(() => {
      const data = target.sample(batch, { random });
      optimizer.minimize(() => loss(data, random), false, flow.trainableVariables);
    });
  }
  optimizer.dispose();
}

describe('flowMatchingLoss', () => {
  const noise = [
    [0.5, -1],
    [1.5, 0.25],
    [-0.3, 0.8],
  ];
  const data = [
    [0.2, 0.3],
    [0.9, 0.7],
    [0.4, 0.1],
  ];
  const times = [0.1, 0.5, 0.8];

  /** ‖A x_t + b − u_t‖², averaged, by hand, for the field v = A x (b = 0). */
  function byHand(matrix: number[][], sigmaMin: number): number {
    let total = 0;
    noise.forEach((x0, n) => {
      const t = times[n];
      const xt = x0.map((v, d) => (1 - (1 - sigmaMin) * t) * v + t * data[n][d]);
      const u = x0.map((v, d) => data[n][d] - (1 - sigmaMin) * v);
      const velocity = matrix.map((row) => row[0] * xt[0] + row[1] * xt[1]);
      total += velocity.reduce((sum, v, d) => sum + (v - u[d]) ** 2, 0);
    });
    return total / noise.length;
  }

  it('is the regression on the OT path (σ_min) and on the rectified-flow line, as the formulas say', () => {
    const field = new LinearVectorField({ size: 2 }).setScaleAndRotation(0.4, 0.7);
    const flow = new ContinuousFlow({ field });
    const matrix = field.matrix.arraySync() as number[][];
    const given = { noise: tf.tensor2d(noise), times: tf.tensor1d(times) };
    const x1 = tf.tensor2d(data);
    for (const [path, sigmaMin, expected] of [
      ['ot', 0.1, byHand(matrix, 0.1)],
      ['ot', undefined, byHand(matrix, 1e-4)],
      ['rectified', undefined, byHand(matrix, 0)],
    ] as const) {
      const loss = flowMatchingLoss(flow, x1, { ...given, path, sigmaMin });
      expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
      loss.dispose();
    }
    tf.dispose([given.noise, given.times, x1]);
    flow.dispose();
  });

  it('with minibatch OT coupling pairs closer points: the zero field sees a smaller mean ‖x₁ − x₀‖²', () => {
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [4] }) });
    const target = toyByName('chequerboard');
    const x1 = target.sample(128, { random: 2 });
    const losses = (['independent', 'exact', 'sinkhorn'] as const).map((coupling) => {
      const loss = flowMatchingLoss(flow, x1, { random: 3, coupling, path: 'rectified' });
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    });
    // Independent pairs: E‖x₁ − x₀‖² ≈ 2 + E‖x₁‖² ≈ 2.8; optimal pairs cut it by about half.
    expect(losses[1]).toBeLessThan(0.75 * losses[0]);
    expect(losses[2]).toBeLessThan(0.85 * losses[0]);
    x1.dispose();
    flow.dispose();
  });

  it('refuses the coupling for a conditional flow, and bad options by name', () => {
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [4], contextSize: 1 }) });
    const x1 = tf.zeros([4, 2]);
    const context = tf.zeros([4, 1]);
    expect(() => flowMatchingLoss(flow, x1, { context, coupling: 'exact' })).toThrow(/use coupling 'independent' for a conditional flow/);
    expect(() => flowMatchingLoss(flow, x1, { context, path: 'straight' as never })).toThrow(/path must be 'ot' or 'rectified'/);
    expect(() => flowMatchingLoss(flow, x1, { context, sigma: 0.1 } as never)).toThrow(/sigma/);
    const times = tf.zeros([3]) as tf.Tensor1D;
    expect(() => flowMatchingLoss(flow, x1, { context, times })).toThrow(/times must have shape \[4\], one per data row, got \[3\]/);
    times.dispose();
    tf.dispose([x1, context]);
    flow.dispose();
  });

  it('draws its times from timeSampling: the loss at logit-normal times pinned near 0.5 is the loss at t = 0.5', () => {
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [8], zeroInitLast: false, seed: 3 }) });
    const x1 = tf.tensor2d(data);
    const half = tf.fill([3], 0.5) as tf.Tensor1D;
    const atHalf = tf.tidy(() => flowMatchingLoss(flow, x1, { random: 5, times: half }).dataSync()[0]);
    const pinned = tf.tidy(
      () => flowMatchingLoss(flow, x1, { random: 5, timeSampling: { distribution: 'logit-normal', location: 0, scale: 1e-6 } }).dataSync()[0],
    );
    const uniform = tf.tidy(() => flowMatchingLoss(flow, x1, { random: 5 }).dataSync()[0]);
    expect(pinned).toBeCloseTo(atHalf, 5);
    expect(Math.abs(uniform - atHalf)).toBeGreaterThan(1e-3); // the default draws other times
    expect(() => flowMatchingLoss(flow, x1, { times: half, timeSampling: 'uniform' })).toThrow(/times or timeSampling, not both/);
    expect(() => flowMatchingLoss(flow, x1, { timeSampling: 'beta' as never })).toThrow(/timeSampling must be 'uniform'/);
    expect(() => flowMatchingLoss(flow, x1, { timeSampling: { distribution: 'power', exponent: 0 } })).toThrow(/positive exponent/);
    tf.dispose([x1, half]);
    flow.dispose();
  });

  it('sampleTimes: the logit of logit-normal times is N(m, s²); power-k times have mean k/(k + 1)', () => {
    const random = new Random(11);
    const n = 20_000;
    const logitNormal = tf.tidy(() => sampleTimes(n, { distribution: 'logit-normal', location: 0.8, scale: 1.5 }, random).dataSync());
    const logits = Array.from(logitNormal, (t) => Math.log(t / (1 - t)));
    const mean = logits.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean - 0.8)).toBeLessThan(4 * (1.5 / Math.sqrt(n)));
    expect(Math.abs(sd - 1.5)).toBeLessThan(0.05);
    const power = tf.tidy(() => sampleTimes(n, { distribution: 'power', exponent: 3 }, random).dataSync());
    const powerMean = Array.from(power).reduce((a, b) => a + b, 0) / n;
    // Var t = k² / ((k + 1)² (2k + 1)) = 9 / 112 for k = 3.
    expect(Math.abs(powerMean - 0.75)).toBeLessThan(4 * Math.sqrt(9 / 112 / n));
    expect(Math.min(...Array.from(power))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...Array.from(power))).toBeLessThanOrEqual(1);
  });

  it('a short run on TwoGaussians reaches KL < 0.4 nats (from 3.3), and leaks nothing', () => {
    const target = toyByName('two-gaussians');
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [32, 32], seed: 1 }) });
    const before = klFromToy(flow, target);
    const tensors = tf.memory().numTensors;
    train(flow, 450, 5e-3, (data, random) => flowMatchingLoss(flow, data, { random }), 256);
    expect(tf.memory().numTensors).toBe(tensors);
    const after = klFromToy(flow, target);
    expect(before).toBeGreaterThan(3);
    expect(after).toBeLessThan(0.4);
    flow.dispose();
  });

  it('reflow pairs are the flow’s own map of its noise', () => {
    const flow = new ContinuousFlow({ field: new LinearVectorField({ size: 2 }).setScaleAndRotation(0.5, 0) });
    const { noise, data } = reflowPairs(flow, 5, { random: 4 });
    const scaled = tf.mul(noise, Math.exp(0.5));
    expect(tf.max(tf.abs(tf.sub(data, scaled))).dataSync()[0]).toBeLessThan(1e-4);
    // Regressing on them with the rectified line: the loss of the field v = x/2 … is what the pairs say.
    const loss = flowMatchingLoss(flow, data, { noise, path: 'rectified', random: 1 });
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    tf.dispose([noise, data, scaled, loss]);
    flow.dispose();
  });
});

describe('maximumLikelihoodLoss (FFJORD, backpropagating through RK4)', () => {
  it('is the mean negative log-density of the batch under the solver it is given', () => {
    const flow = new ContinuousFlow({ field: new LinearVectorField({ size: 2 }).setScaleAndRotation(0.3, 0.2) });
    const x = tf.tensor2d([
      [0.1, 0.5],
      [-1, 2],
    ]);
    const loss = maximumLikelihoodLoss(flow, x, { solver: { method: 'rk4', steps: 8 } });
    const logProb = flow.logProbWith(x, { solver: { method: 'rk4', steps: 8 } });
    expect(loss.dataSync()[0]).toBeCloseTo(-tf.mean(logProb).dataSync()[0], 6);
    tf.dispose([x, loss, logProb]);
    flow.dispose();
  });

  it('a short run on TwoGaussians reaches KL < 0.5 nats (from 3.3), and leaks nothing', () => {
    const target = toyByName('two-gaussians');
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [32, 32], seed: 1 }) });
    const tensors = tf.memory().numTensors;
    train(flow, 45, 1e-2, (data) => maximumLikelihoodLoss(flow, data, { solver: { method: 'rk4', steps: 4 } }), 128);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(klFromToy(flow, target)).toBeLessThan(0.5);
    flow.dispose();
  });
});
