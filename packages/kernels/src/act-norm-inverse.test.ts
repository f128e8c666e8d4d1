import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { actNormInverse, referenceActNormInverse, referenceActNormInverseGradient } from './act-norm-inverse.js';

describe('actNormInverse', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is (y − b) e^{−s} per channel, and its reference gradient is autodiff’s, for images and vectors', () => {
    for (const shape of [
      [3, 4, 5, 6],
      [7, 5],
    ]) {
      const channels = shape[shape.length - 1];
      const y = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const bias = tf.randomNormal([channels], 0, 1, 'float32', 2);
      const logScale = tf.randomNormal([channels], 0, 0.5, 'float32', 3);
      const g = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const x = actNormInverse(y, bias, logScale);
      const expected = tf.tidy(() => tf.mul(tf.sub(y, bias), tf.exp(tf.neg(logScale))));
      expect(Math.max(...tf.abs(tf.sub(x, expected)).dataSync())).toBeLessThan(1e-6);
      const autodiff = tf.grads((a: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(referenceActNormInverse(a, b, s), g)))([y, bias, logScale]);
      const before = tf.memory().numTensors;
      const reference = referenceActNormInverseGradient(g, y, bias, logScale);
      expect(tf.memory().numTensors).toBe(before + 3);
      reference.forEach((t, i) => {
        expect(t.shape, `gradient ${i}`).toEqual(autodiff[i].shape);
        const worst = Math.max(...tf.abs(tf.sub(t, autodiff[i])).dataSync());
        expect(worst, `gradient ${i}`).toBeLessThan(1e-5);
      });
      tf.dispose([y, bias, logScale, g, x, expected, ...autodiff, ...reference]);
    }
  });
});
