import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { registerKernelsFor } from './index.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('registerKernelsFor, for a backend set without selectBackend', () => {
  it("after a tf.setBackend('wasm') of one's own, it puts the fused kernels in place: the sharing Identity", async () => {
    // A file of its own: each test file runs in a fresh process, where nothing has registered them yet.
    await tf.setBackend('wasm');
    const shared = () => {
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.clone(a);
      const same = b.dataId === a.dataId;
      tf.dispose([a, b]);
      return same;
    };
    expect(shared()).toBe(false);
    registerKernelsFor('wasm');
    expect(shared()).toBe(true);
  });
});
