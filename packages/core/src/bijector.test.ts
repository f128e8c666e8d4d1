import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { perRow } from './bijector.js';

describe('perRow', () => {
  it('gives every row the scalar; its gradient is the sum of the rows’ gradients, in a few kernels, not one per row', async () => {
    const value = tf.scalar(0.75);
    const weights = tf.tensor1d(Array.from({ length: 5000 }, (_, i) => (i % 7) - 3));
    expect(Array.from(perRow(value, 3).dataSync())).toEqual([0.75, 0.75, 0.75]);
    const expected = Array.from(weights.dataSync()).reduce((a, b) => a + b, 0);
    const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(perRow(v, 5000), weights)));
    const profile = await tf.profile(() => gradient(value));
    expect(profile.result as tf.Tensor).toBeDefined();
    expect((profile.result as tf.Tensor).dataSync()[0]).toBeCloseTo(expected, 3);
    // A broadcast through the Tile kernel ran one Slice and one Add per row in its gradient (10 000 here).
    expect(profile.kernels.length).toBeLessThan(40);
    tf.dispose([value, weights, profile.result as tf.Tensor]);
  });
});
