import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adamUpdate, hasFusedAdamUpdate, referenceAdamUpdate } from '../adam-update.js';
import { installWasmKernels, uninstallWasmKernels } from './own-wasm-kernels.js';

const step = { beta1: 0.9, beta2: 0.99, stepSize: 0.01, inverseCorrection2: 1.5, epsilon: 1e-7, decay: 0.999 };
const SHAPES = [[3, 5], [7], [2, 3, 4], [1]];

/** Deterministic operands: parameters, gradients and the two flat moments. */
function operands() {
  const values = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + s));
  const parameters = SHAPES.map((shape, k) =>
    tf.tensor(
      values(
        shape.reduce((p, d) => p * d, 1),
        k,
      ),
      shape,
    ),
  );
  const gradients = SHAPES.map((shape, k) =>
    tf.tensor(
      values(
        shape.reduce((p, d) => p * d, 1),
        10 + k,
      ),
      shape,
    ),
  );
  const total = parameters.reduce((sum, p) => sum + p.size, 0);
  const m = tf.tensor1d(values(total, 20).map((x) => 0.1 * x));
  const v = tf.tensor1d(values(total, 30).map((x) => 0.01 * (1 + x)));
  return { parameters, gradients, m, v };
}

function run(update: typeof adamUpdate, clipNorm: number) {
  return tf.tidy(() => {
    const { parameters, gradients, m, v } = operands();
    const out = update(parameters, gradients, m, v, { ...step, clipNorm });
    return [out.firstMoment, out.secondMoment, ...out.parameters].map((t) => Array.from(t.dataSync()));
  });
}

describe('the wasm backend’s own Adam update (FlowsAdamUpdate on the heap)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await installWasmKernels();
  });
  afterAll(async () => {
    uninstallWasmKernels();
    await tf.setBackend('cpu');
  });

  it('is registered, and gives the stock-op reference’s values, with and without the clip norm', async () => {
    expect(hasFusedAdamUpdate()).toBe(true);
    for (const clipNorm of [0, 0.5]) {
      const own = run(adamUpdate, clipNorm);
      await tf.setBackend('cpu');
      const reference = run(referenceAdamUpdate, clipNorm);
      await tf.setBackend('wasm');
      own.forEach((values, i) => values.forEach((x, j) => expect(Math.abs(x - reference[i][j])).toBeLessThan(1e-6 * (1 + Math.abs(reference[i][j])))));
    }
  });

  it('writes in place only where nothing else holds the memory, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const { parameters, gradients, m, v } = operands();
    const kept = parameters[0].clone();
    const keptValues = Array.from(kept.dataSync());
    const out = adamUpdate(parameters, gradients, m, v, { ...step, clipNorm: 0 });
    // The clone shares the parameter's memory (the sharing Identity): it keeps its values.
    expect(Array.from(kept.dataSync())).toEqual(keptValues);
    expect(Array.from(out.parameters[0].dataSync())).not.toEqual(keptValues);
    tf.dispose([kept, ...parameters, ...gradients, m, v, out.firstMoment, out.secondMoment, ...out.parameters]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses operands that do not fit, naming them', () => {
    tf.tidy(() => {
      const p = tf.ones([3]);
      expect(() => adamUpdate([p], [tf.ones([4])], tf.zeros([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, { ...step, clipNorm: 0 })).toThrow(
        /parameter 0 and its gradient must be float32 of one size/,
      );
      expect(() => adamUpdate([p], [tf.ones([3])], tf.zeros([5]) as tf.Tensor1D, tf.zeros([5]) as tf.Tensor1D, { ...step, clipNorm: 0 })).toThrow(
        /the variables hold 3 values but the moments 5/,
      );
    });
  });
});
