import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@flows/backends';
import { nativeSkipReason } from '@flows/test-support';
import { Adam, type AdamOptions, schedules } from '@flows/optimizers';

/** 25 steps of Adam with the options against tf.train.adam on the same problem: the largest difference of the variables. */
function differenceFromTensorflowAdam(options: AdamOptions): { difference: number; adam: Adam } {
  const init = [tf.randomNormal([5, 3], 0, 1, 'float32', 1), tf.randomNormal([3], 0, 1, 'float32', 2)];
  const ours = init.map((t) => tf.variable(t.clone()));
  const theirs = init.map((t) => tf.variable(t.clone()));
  const x = tf.randomNormal([8, 5], 0, 1, 'float32', 3);
  const loss = (vars: tf.Variable[]) => () => tf.mean(tf.square(tf.sin(tf.add(tf.matMul(x, vars[0]), vars[1])))) as tf.Scalar;
  const adam = new Adam(ours, { learningRate: 0.01, ...options });
  const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
  for (let step = 0; step < 25; step++) {
    const { grads, value } = tf.variableGrads(loss(ours), ours);
    adam.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
    reference.minimize(loss(theirs), false, theirs);
  }
  const difference = Math.max(...ours.map((v, i) => tf.max(tf.abs(tf.sub(v, theirs[i]))).dataSync()[0]));
  return { difference, adam };
}

describe('Adam', () => {
  it.each(['host', 'device'] as const)('matches tf.train.adam step by step (float32 tolerance), %s placement', (placement) => {
    const { difference, adam } = differenceFromTensorflowAdam({ placement });
    expect(difference).toBeLessThan(1e-5);
    expect(adam.step).toBe(25);
  });

  it.each(['host', 'device'] as const)('restores its state exactly, clips the global norm, and does not leak (%s)', (placement) => {
    const v = tf.variable(tf.tensor1d([1, -2]));
    const adam = new Adam([v], { learningRate: 0.1, clipNorm: 1, placement });
    const grads = { [v.name]: tf.tensor1d([300, 400]) };
    adam.applyGradients(grads);
    const before = tf.memory().numTensors;
    adam.applyGradients(grads);
    expect(tf.memory().numTensors).toBe(before);
    const state = adam.getState();
    // With clipping each step's gradient is (0.6, 0.8) (norm 500 → 1): m = 0.1·0.6·(1 + 0.9) after two.
    expect(state.firstMoments[0][0]).toBeCloseTo(0.1 * 0.6 * (1 + 0.9), 5);
    const copy = new Adam([tf.variable(v.clone())], { learningRate: 0.1, clipNorm: 1, placement });
    copy.setState(state);
    expect(Array.from(copy.getState().firstMoments[0])).toEqual(Array.from(state.firstMoments[0]));
    expect(copy.step).toBe(2);
    expect(() => copy.setState({ ...state, firstMoments: [] })).toThrow(/moments for 0 variables/);
  });

  it('schedules', () => {
    const cosine = schedules.cosine(1, 100, { warmupSteps: 10, floor: 0 });
    expect(cosine(5)).toBeCloseTo(0.5);
    expect(cosine(10)).toBeCloseTo(1);
    expect(cosine(55)).toBeCloseTo(0.5);
    expect(cosine(100)).toBeCloseTo(0);
    expect(schedules.step(1, 10, 0.5)(21)).toBe(0.25);
  });
});

describe.skipIf(nativeSkipReason('Adam on the native wasm kernels') !== null)('Adam on wasm with the native kernels of @flows/native-kernels', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs the fused kernels by default, matches tf.train.adam, restores its state and does not leak', async () => {
    await selectBackend({ backend: 'wasm', nativeKernels: true });
    const { difference, adam } = differenceFromTensorflowAdam({});
    expect(adam.placement).toBe('device');
    expect(adam.fused).toBe(true);
    expect(difference).toBeLessThan(1e-5);
    const v = tf.variable(tf.tensor1d([1, -2]));
    const clipped = new Adam([v], { learningRate: 0.1, clipNorm: 1 });
    const grads = { [v.name]: tf.tensor1d([300, 400]) };
    clipped.applyGradients(grads);
    const before = tf.memory().numTensors;
    clipped.applyGradients(grads);
    expect(tf.memory().numTensors).toBe(before);
    // Clipped to (0.6, 0.8) each step: m = 0.1·0.6·(1 + 0.9) after two.
    expect(clipped.getState().firstMoments[0][0]).toBeCloseTo(0.1 * 0.6 * (1 + 0.9), 5);
  });
});
