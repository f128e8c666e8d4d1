import * as tf from '@tensorflow/tfjs-core';

/** The mean and the (unbiased) covariance matrix of the rows of `samples`, read back as numbers. */
export function sampleMoments(samples: tf.Tensor2D): { mean: number[]; covariance: number[][] } {
  if (!(samples instanceof tf.Tensor) || samples.rank !== 2 || samples.shape[0] < 2)
    throw new RangeError('sampleMoments: samples must be a tensor of shape [n ≥ 2, D]');
  const n = samples.shape[0];
  return tf.tidy(() => {
    const mean = tf.mean(samples, 0);
    const centred = tf.sub(samples, mean);
    const covariance = tf.div(tf.matMul(centred, centred, true, false), n - 1);
    return { mean: Array.from(mean.dataSync()), covariance: covariance.arraySync() as number[][] };
  });
}

/**
 * `‖estimate − reference‖_F / ‖reference‖_F` for vectors or matrices (the Frobenius norm; for a
 * vector its Euclidean norm): how far a posterior estimate's mean or covariance is from the closed form.
 */
export function relativeFrobeniusError(estimate: number[] | number[][], reference: number[] | number[][]): number {
  const flat = (m: number[] | number[][]) => (m as (number | number[])[]).flat() as number[];
  const [e, r] = [flat(estimate), flat(reference)];
  if (e.length !== r.length) throw new RangeError(`relativeFrobeniusError: ${e.length} values against ${r.length}`);
  const difference = Math.sqrt(e.reduce((s, v, i) => s + (v - r[i]) ** 2, 0));
  const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
  return difference / norm;
}
