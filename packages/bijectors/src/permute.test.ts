import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Permute } from './permute.js';
import { Reverse } from './reverse.js';

describe('Permute and Reverse', () => {
  it('reorders as y_i = x_order[i]', () => {
    const p = new Permute({ order: [2, 0, 1] });
    const y = p.forward(tf.tensor2d([[10, 20, 30]]));
    expect(Array.from(y.dataSync())).toEqual([30, 10, 20]);
    const x = p.inverse(y);
    expect(Array.from(x.dataSync())).toEqual([10, 20, 30]);
    tf.dispose([x, y]);
  });

  it('draws the same random order for the same seed and rejects non-permutations', () => {
    expect(new Permute({ size: 10, seed: 7 }).order).toEqual(new Permute({ size: 10, seed: 7 }).order);
    expect(new Permute({ size: 10, seed: 7 }).order).not.toEqual(new Permute({ size: 10, seed: 8 }).order);
    expect(() => new Permute({ order: [0, 0, 1] })).toThrow(/permutation of 0..2/);
  });

  it('Reverse reverses', () => {
    const r = new Reverse({ size: 3 });
    const y = r.forward(tf.tensor2d([[1, 2, 3]]));
    expect(Array.from(y.dataSync())).toEqual([3, 2, 1]);
    y.dispose();
    expect(r.toJSON()).toEqual({ className: 'Reverse', config: { size: 3 } });
  });
});

describe('Permute gradients', () => {
  it('are the inverse permutation of the upstream gradient, as autodiff of a gather gives them, both ways', () => {
    const permute = new Permute({ size: 6, seed: 4 });
    const x = tf.tensor2d([
      [0.5, -1, 2, 3, 0.25, -4],
      [1, 2, 3, 4, 5, 6],
    ]);
    const weights = tf.tensor2d([[1, 2, 3, 4, 5, 6]]);
    const order = tf.tensor1d(permute.order, 'int32');
    const inverseOrder = tf.tensor1d(permute.inverseOrder, 'int32');
    // A loss that weighs each output coordinate differently, so that a wrong order shows.
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(tf.square(f(t)), weights));
    for (const [direction, reference] of [
      [(t: tf.Tensor) => permute.forward(t), (t: tf.Tensor) => tf.gather(t, order, 1)],
      [(t: tf.Tensor) => permute.inverse(t), (t: tf.Tensor) => tf.gather(t, inverseOrder, 1)],
    ] as const) {
      const got = tf.grad(loss(direction))(x).arraySync();
      const expected = tf.grad(loss(reference))(x).arraySync();
      expect(got).toEqual(expected);
    }
    tf.dispose([x, weights, order, inverseOrder]);
    permute.dispose();
  });
});
