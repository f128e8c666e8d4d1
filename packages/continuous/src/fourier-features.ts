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

/**
 * The angular frequencies of {@link positionFeatures}, one per feature column: octave `l` of
 * coordinate `d` at column `l·D + d`, `ω = 2^l π` (the positional encoding of Mildenhall et al.,
 * "NeRF", ECCV 2020).
 */
export function positionFrequencies(size: number, octaves: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: octaves * size }, (_, column) => 2 ** Math.floor(column / size) * Math.PI),
    [1, octaves * size],
  );
}

/**
 * Fourier features of the position, `[sin(ω x_d), cos(ω x_d)]` for `ω = 2^l π`, `l = 0…L−1`, every
 * coordinate `d`: an MLP on low-dimensional points learns sharp features (a density's edges) far
 * faster from them than from `x` alone, whose spectral bias favours smooth functions (Tancik et al.
 * 2020). Returns `[N, 2·L·D]` and, for forward-mode products, the angles `ω x` `[N, L·D]`.
 */
export function positionFeatures(x: tf.Tensor2D, octaves: number): { features: tf.Tensor2D; angles: tf.Tensor2D } {
  const size = x.shape[1];
  const angles = tf.mul(tf.tile(x, [1, octaves]), positionFrequencies(size, octaves)) as tf.Tensor2D;
  return { features: tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D, angles };
}

/**
 * The tangents of {@link positionFeatures} for `K` tangent batches `u` `[K·N, D]`:
 * `d sin(ωx) = cos(ωx) ω u`, `d cos(ωx) = −sin(ωx) ω u`. Returns `[K·N, 2·L·D]`.
 */
export function positionFeatureTangents(angles: tf.Tensor2D, tangents: tf.Tensor2D, count: number, octaves: number): tf.Tensor2D {
  const [rows, width] = angles.shape;
  const size = tangents.shape[1];
  const scaled = tf.reshape(tf.mul(tf.tile(tangents, [1, octaves]), positionFrequencies(size, octaves)), [count, rows, width]);
  const sine = tf.reshape(tf.mul(scaled, tf.cos(angles)), [count * rows, width]);
  const cosine = tf.reshape(tf.mul(scaled, tf.neg(tf.sin(angles))), [count * rows, width]);
  return tf.concat([sine, cosine], 1) as tf.Tensor2D;
}
