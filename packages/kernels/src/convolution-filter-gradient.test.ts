import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { convolutionFilterGradient, referenceConvolutionFilterGradient } from './convolution-filter-gradient.js';

describe('convolutionFilterGradient', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is autodiff’s filter gradient of a stride-1 same convolution, for odd filters of 1, 3 and 5', () => {
    for (const [shape, cout, k] of [
      [[4, 6, 5, 3], 4, 3],
      [[2, 7, 7, 2], 3, 5],
      [[3, 4, 4, 5], 2, 1],
    ] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
      const dz = tf.randomNormal([shape[0], shape[1], shape[2], cout], 0, 1, 'float32', 2) as tf.Tensor4D;
      const filter = tf.randomNormal([k, k, shape[3], cout], 0, 1, 'float32', 3) as tf.Tensor4D;
      // d/dW of Σ conv(x, W) ⊙ dz is the filter gradient at upstream gradient dz (the cpu backend's Conv2DBackpropFilter).
      const expected = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), dz)))(filter);
      for (const got of [referenceConvolutionFilterGradient(x, dz, k), convolutionFilterGradient(x, dz, k)]) {
        expect(got.shape).toEqual(expected.shape);
        const [a, b] = [got.dataSync(), expected.dataSync()];
        for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 3);
        got.dispose();
      }
      tf.dispose([x, dz, filter, expected]);
    }
    expect(() => referenceConvolutionFilterGradient(tf.zeros([1, 2, 2, 1]), tf.zeros([1, 2, 2, 1]), 2)).toThrow(/must be odd, got 2/);
  });
});
