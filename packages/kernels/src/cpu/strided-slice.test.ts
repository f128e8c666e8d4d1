import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { registerKernelsFor } from '../register-kernels.js';
import { copyStridedBlock } from './strided-slice.js';
import { sliceResults as run } from './strided-slice-cases.js';

// [shape, sizes, axis] of tf.split: the spline coupling's parameter split, a middle axis, the first (stock).
const SPLITS: [number[], number[], number][] = [
  [[500, 2, 23], [8, 8, 7], 2],
  [[7, 9, 5], [2, 0, 7], 1],
  [[6, 4], [1, 5], 0],
  [[3, 2, 2, 10], [5, 5], -1],
];

function runSplits(): { shape: number[]; values: number[] }[] {
  return SPLITS.flatMap(([shape, sizes, axis], i) =>
    (['float32', 'int32'] as const).flatMap((dtype) =>
      tf.tidy(() => {
        const count = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(
          Float32Array.from({ length: count }, (_, k) => (dtype === 'int32' ? 3 * k - i : Math.cos(k * (i + 1)))),
          shape,
          dtype,
        );
        return tf.split(x, sizes, axis).map((piece) => ({ shape: piece.shape, values: Array.from(piece.dataSync()) }));
      }),
    ),
  );
}

describe('the cpu backend’s strided Slice and SplitV', () => {
  it('give the stock kernels’ slices and splits of float32 and int32 tensors of rank 2-6, and the gradients, and leak nothing', () => {
    expect(tf.getBackend()).toBe('cpu');
    // The stock kernels: not yet replaced in this process.
    const expected = run();
    const expectedSplits = runSplits();
    registerKernelsFor('cpu');
    run(); // burn-in
    runSplits();
    const before = tf.memory().numTensors;
    const actual = run();
    const actualSplits = runSplits();
    expect(tf.memory().numTensors).toBe(before);
    expect(actual).toEqual(expected);
    expect(actualSplits).toEqual(expectedSplits);
  });

  it('copies a block run by run, the odometer carrying over every outer axis', () => {
    // A [2, 3, 4] tensor holding its own flat index; the block [1.., 1.., 1..3] of size [1, 2, 2].
    const source = Float32Array.from({ length: 24 }, (_, k) => k);
    const out = new Float32Array(4);
    copyStridedBlock(source, [2, 3, 4], [1, 1, 1], [1, 2, 2], out);
    expect(Array.from(out)).toEqual([17, 18, 21, 22]);
    const long = Float32Array.from({ length: 2 * 200 }, (_, k) => k);
    const half = new Float32Array(2 * 100);
    copyStridedBlock(long, [2, 200], [0, 50], [2, 100], half);
    expect(half[0]).toBe(50);
    expect(half[100]).toBe(250);
  });
});
