import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { classifierTwoSampleTest } from './c2st.js';
import { relativeFrobeniusError, sampleMoments } from './sample-moments.js';

describe('classifierTwoSampleTest', () => {
  it('scores two samples of one distribution near 0.5 and samples of two distributions near their best accuracy, without leaking', () => {
    const a = tf.randomNormal([400, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([400, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
    // Shifted by 2 along the first axis: the best classifier is right Φ(1) = 84 % of the time.
    const shifted = tf.add(tf.randomNormal([400, 2], 0, 1, 'float32', 3), tf.tensor1d([2, 0])) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const same = classifierTwoSampleTest(a, b, { maxEpochs: 20, random: 4 });
    const different = classifierTwoSampleTest(a, shifted, { maxEpochs: 20, random: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(same.foldAccuracies).toHaveLength(5);
    expect(same.accuracy).toBeGreaterThan(0.4);
    expect(same.accuracy).toBeLessThan(0.6);
    expect(different.accuracy).toBeGreaterThan(0.78);
    expect(different.accuracy).toBeLessThan(0.9);
    tf.dispose([a, b, shifted]);
  });

  it('refuses samples of different widths, too few rows and unknown options', () => {
    const a = tf.zeros([10, 2]) as tf.Tensor2D;
    expect(() => classifierTwoSampleTest(a, tf.zeros([10, 3]) as tf.Tensor2D)).toThrow(/2 and 3 columns/);
    expect(() => classifierTwoSampleTest(a, tf.zeros([3, 2]) as tf.Tensor2D)).toThrow(/at least 5 rows/);
    expect(() => classifierTwoSampleTest(a, a, { epochs: 3 } as never)).toThrow(/epochs/);
    a.dispose();
  });
});

describe('sampleMoments and relativeFrobeniusError', () => {
  it('give the mean and unbiased covariance, and the relative Frobenius distance', () => {
    const samples = tf.tensor2d([
      [1, 2],
      [3, 6],
      [5, 4],
    ]);
    const { mean, covariance } = sampleMoments(samples);
    expect(mean).toEqual([3, 4]);
    expect(covariance).toEqual([
      [4, 2],
      [2, 4],
    ]);
    expect(relativeFrobeniusError([3, 4], [3, 4])).toBe(0);
    expect(
      relativeFrobeniusError(
        [
          [1, 0],
          [0, 1],
        ],
        [
          [2, 0],
          [0, 2],
        ],
      ),
    ).toBeCloseTo(0.5, 12);
    samples.dispose();
  });
});
