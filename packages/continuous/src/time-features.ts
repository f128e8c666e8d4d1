import * as tf from '@tensorflow/tfjs-core';

/**
 * The time input of a vector field network: `t` itself, followed by `K` Fourier pairs
 * `sin(πkt), cos(πkt)` for `k = 1…K` (Tancik et al., "Fourier Features Let Networks Learn High
 * Frequency Functions in Low Dimensional Domains", NeurIPS 2020). With `K = 0` the network sees
 * `t` alone, concatenated to `x`; a few pairs let a small network change quickly in time, as a
 * field that sharpens towards the data at `t = 1` must.
 *
 * @param column times as a column `[N, 1]`.
 * @returns `[N, 1 + 2K]`.
 */
export function timeFeatures(column: tf.Tensor2D, pairs: number): tf.Tensor2D {
  if (pairs === 0) return column;
  const frequencies = tf.tensor2d(
    Array.from({ length: pairs }, (_, k) => Math.PI * (k + 1)),
    [1, pairs],
  );
  const angles = tf.mul(column, frequencies);
  return tf.concat([column, tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
}

/** Width of {@link timeFeatures}' output for `pairs` Fourier pairs. */
export function timeFeatureWidth(pairs: number): number {
  return 1 + 2 * pairs;
}
