import * as tf from '@tensorflow/tfjs-core';

// [shape, begin, size]: the spline's last-axis slices ([N, D, 3K − 1] into widths, heights and
// derivatives; the picks' K of K + 1), inner runs of one to a hundred values, rank 2 to 6, a
// contiguous slice (the stock kernel's), an empty one, and sizes of −1 (to the end).
export const SLICE_CASES: [number[], number[], number[]][] = [
  [
    [500, 2, 23],
    [0, 0, 8],
    [500, 2, 8],
  ],
  [
    [500, 2, 23],
    [0, 0, 16],
    [500, 2, 7],
  ],
  [
    [500, 2, 9],
    [0, 0, 1],
    [500, 2, 8],
  ],
  [
    [5, 6, 7],
    [1, 2, 3],
    [3, 4, 1],
  ],
  [
    [3, 140],
    [1, 5],
    [2, 100],
  ],
  [
    [4, 9],
    [1, 0],
    [2, 9],
  ],
  [
    [4, 9],
    [1, 3],
    [2, 0],
  ],
  [
    [2, 3, 2, 3, 2, 4],
    [1, 1, 0, 1, 1, 1],
    [1, 2, 2, 2, 1, 3],
  ],
  [
    [6, 5, 4],
    [2, 1, 1],
    [-1, -1, 2],
  ],
];

/** Every case's slice of a float32 and an int32 tensor on the active backend, with the float32 slice's gradient. */
export function sliceResults(): { shape: number[]; values: number[]; gradient: number[] }[] {
  return SLICE_CASES.flatMap(([shape, begin, size], i) =>
    (['float32', 'int32'] as const).map((dtype) =>
      tf.tidy(() => {
        const count = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: count }, (_, k) => (dtype === 'int32' ? k - 7 * i : Math.sin(k + i)));
        const x = tf.tensor(values, shape, dtype);
        const y = tf.slice(x, begin, size);
        // Slice's gradient is a Pad of the upstream gradient: unchanged, checked through it.
        const gradient = dtype === 'float32' ? tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, begin, size), tf.slice(t, begin, size))))(x) : tf.zeros([0]);
        return { shape: y.shape, values: Array.from(y.dataSync()), gradient: Array.from(gradient.dataSync()) };
      }),
    ),
  );
}
