import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { sliceResults } from '../cpu/strided-slice-cases.js';
import { registerKernelsFor } from '../register-kernels.js';

describe('the wasm backend’s strided Slice', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the stock kernel’s slices of float32 and int32 tensors of rank 2-6, and the gradients, on the heap, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    // The stock kernel: not yet replaced in this process.
    const expected = sliceResults();
    registerKernelsFor('wasm');
    sliceResults(); // burn-in
    const before = tf.memory().numTensors;
    const actual = sliceResults();
    expect(tf.memory().numTensors).toBe(before);
    expect(actual).toEqual(expected);
  });
});
