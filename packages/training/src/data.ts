import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';

/** One training batch. `logDet` is a preprocessing log-det added to the model's log-density. */
export interface Batch {
  x: tf.Tensor;
  context?: tf.Tensor;
  logDet?: tf.Tensor1D;
}

/** A source of training batches. `fit` disposes every batch's tensors after its step. */
export interface TrainingData {
  /** Examples per epoch. */
  readonly size: number;
  /** One epoch of batches, in an order drawn from `random`. */
  batches(batchSize: number, random: Random): Iterable<Batch>;
}

/**
 * Training data held in one tensor (and an optional context tensor), shuffled each epoch with the
 * given generator. The tensors stay owned by the caller.
 */
export function tensorData(x: tf.Tensor, context?: tf.Tensor): TrainingData {
  if (context && context.shape[0] !== x.shape[0]) throw new RangeError(`tensorData: x has ${x.shape[0]} rows, context has ${context.shape[0]}`);
  return {
    size: x.shape[0],
    *batches(batchSize: number, random: Random) {
      const order = random.permutation(x.shape[0]);
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
        const batch: Batch = { x: tf.gather(x, indices), context: context ? tf.gather(context, indices) : undefined };
        indices.dispose();
        yield batch;
      }
    },
  };
}

/**
 * Fresh samples every step from a sampler (for example a toy density): `size` examples make an
 * epoch: a toy density gives millions of samples, each seen once.
 */
export function samplerData(sample: (n: number, random: Random) => tf.Tensor, size: number): TrainingData {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`samplerData: size must be a positive integer, got ${size}`);
  return {
    size,
    *batches(batchSize: number, random: Random) {
      for (let start = 0; start < size; start += batchSize) yield { x: sample(Math.min(batchSize, size - start), random) };
    },
  };
}

/** Splits a tensor's rows into a training and a held-out part after a seeded shuffle. */
export function splitRows(x: tf.Tensor, fraction: number, random: Random): [tf.Tensor, tf.Tensor] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validationSplit must be in (0, 1), got ${fraction}`);
  const n = x.shape[0];
  const held = Math.max(1, Math.round(n * fraction));
  if (held >= n) throw new RangeError(`validationSplit ${fraction} leaves no training rows out of ${n}`);
  const order = random.permutation(n);
  return tf.tidy(() => [tf.gather(x, order.slice(held)), tf.gather(x, order.slice(0, held))]);
}
