import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdditiveCoupling } from './additive-coupling.js';

describe('AdditiveCoupling', () => {
  it('adds m(b⊙x) to the transformed coordinates only, with zero log-det', () => {
    const layer = new AdditiveCoupling({ mask: [1, 0], shift: (u) => tf.mul(u, 3) as tf.Tensor2D });
    // shift = 3 * (b⊙x) = (3 x0, 0), masked by (1 - b) to (0, 3 x0)... applied to coordinate 1.
    const [y, logDet] = layer.forwardAndLogDet(tf.tensor2d([[2, 5]]));
    expect(Array.from(y.dataSync())).toEqual([2, 5]);
    expect(logDet.dataSync()[0]).toBe(0);
    tf.dispose([y, logDet]);
    const layer2 = new AdditiveCoupling({
      mask: [1, 0],
      shift: (u) => tf.stack([tf.zeros([u.shape[0]]), tf.mul(tf.squeeze(tf.slice(u, [0, 0], [-1, 1]), [1]), 3)], 1) as tf.Tensor2D,
    });
    const y2 = layer2.forward(tf.tensor2d([[2, 5]]));
    expect(Array.from(y2.dataSync())).toEqual([2, 11]);
    y2.dispose();
  });
});
