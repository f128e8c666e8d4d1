import * as tf from '@tensorflow/tfjs-core';

/**
 * The importance-weighted bound `log (1/k) Σ_j exp(w_j)` per row (Burda et al. 2016), from k draws
 * of log-weights taken `chunk` at a time: `logWeights(s)` returns `[s, rows]` log-weights of s new
 * draws (run under `tf.tidy`), and a running log-sum-exp combines them, so memory grows with the
 * chunk, not with k. The VAE's and variational dequantization's bounds share it.
 */
export function importanceWeightedBound(rows: number, k: number, chunk: number, logWeights: (draws: number) => tf.Tensor): tf.Tensor1D {
  let total = tf.fill([rows], -Infinity) as tf.Tensor1D;
  for (let done = 0; done < k; done += chunk) {
    const draws = Math.min(chunk, k - done);
    const next = tf.tidy(() => tf.logSumExp(tf.concat([tf.expandDims(total, 0), logWeights(draws)], 0), 0) as tf.Tensor1D);
    total.dispose();
    total = next;
  }
  const result = tf.sub(total, Math.log(k)) as tf.Tensor1D;
  total.dispose();
  return result;
}
