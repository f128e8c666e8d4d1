import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adamMoment, adamParameter } from './adam-step.js';

describe('Adam operations (reference compositions)', () => {
  it('update the moments with the clipped gradient and the parameters from them', () => {
    const m = tf.tensor1d([0.1, -0.2, 0.3, 0.0]);
    const g = tf.tensor1d([3, 4, 0, 0]); // norm 5
    const squares = tf.tensor1d([25]);
    const first = Array.from(adamMoment(m, g, squares, 'first', 0.9, 1).dataSync());
    // Clipped to norm 1: g = (0.6, 0.8, 0, 0).
    [0.9 * 0.1 + 0.1 * 0.6, 0.9 * -0.2 + 0.1 * 0.8, 0.9 * 0.3, 0].forEach((value, i) => expect(first[i]).toBeCloseTo(value, 6));
    const second = Array.from(adamMoment(m, g, squares, 'second', 0.99, 0).dataSync());
    [0.99 * 0.1 + 0.01 * 9, 0.99 * -0.2 + 0.01 * 16, 0.99 * 0.3, 0].forEach((value, i) => expect(second[i]).toBeCloseTo(value, 6));
    const parameter = tf.tensor2d([1, 2], [1, 2]);
    const v = tf.tensor1d([0, 0, 0.04, 0.09]);
    const step = { offset: 2, stepSize: 0.1, inverseCorrection2: 1, epsilon: 0, decay: 0.5 };
    const updated = Array.from(adamParameter(parameter, m, v, step).dataSync());
    // p·decay − stepSize·m_j/√v_j for j = 2, 3 (m_3 = 0).
    [1 * 0.5 - (0.1 * 0.3) / 0.2, 2 * 0.5].forEach((value, i) => expect(updated[i]).toBeCloseTo(value, 6));
  });
});
