import * as tf from '@tensorflow/tfjs-core';
import { canReadSynchronously, Random, assertKnownOptions, optionNames } from '@flows/core';
import type { Distribution } from '@flows/distributions';
import { type Batch, tensorData, type TrainingData } from './data.js';

/**
 * Mean negative log-likelihood in nats over all of `data`, in batches (no gradient, leak-free).
 * A batch's preprocessing `logDet` is added to the model's log-density. Data with no
 * order-dependence is read in a fixed order. The sum stays on the device until the end: one
 * read-back in all. Synchronous; where the backend cannot read back synchronously (WebGPU in
 * Node) it throws, and {@link meanNegativeLogLikelihoodAsync} is the way.
 */
export function meanNegativeLogLikelihood(model: Distribution, data: TrainingData | tf.Tensor, options: { batchSize?: number } = {}): number {
  if (!canReadSynchronously())
    throw new Error(
      `meanNegativeLogLikelihood: the ${tf.getBackend()} backend cannot read tensors synchronously here; use await meanNegativeLogLikelihoodAsync(...)`,
    );
  const { total, count } = summedLogProb(model, data, options.batchSize ?? 1024);
  const value = total.dataSync()[0];
  total.dispose();
  return -value / count;
}

/** {@link meanNegativeLogLikelihood} with an asynchronous read-back: works on every backend. */
export async function meanNegativeLogLikelihoodAsync(
  model: Distribution,
  data: TrainingData | tf.Tensor,
  options: { batchSize?: number } = {},
): Promise<number> {
  const { total, count } = summedLogProb(model, data, options.batchSize ?? 1024);
  const value = (await total.data())[0];
  total.dispose();
  return -value / count;
}

function summedLogProb(model: Distribution, data: TrainingData | tf.Tensor, batchSize: number): { total: tf.Scalar; count: number } {
  const source = data instanceof tf.Tensor ? tensorData(data) : data;
  let total: tf.Scalar = tf.scalar(0);
  let count = 0;
  for (const batch of source.batches(batchSize, new Random(0))) {
    const next = tf.tidy(() => {
      let logProb = model.uncheckedLogProb(batch.x, batch.context);
      if (batch.logDet) logProb = tf.add(logProb, batch.logDet);
      return tf.add(total, tf.sum(logProb)) as tf.Scalar;
    });
    total.dispose();
    total = next;
    count += batch.x.shape[0];
    disposeBatch(batch);
  }
  if (count === 0) {
    total.dispose();
    throw new Error('meanNegativeLogLikelihood: no data');
  }
  return { total, count };
}

function disposeBatch(batch: Batch): void {
  tf.dispose([batch.x, ...(batch.context ? [batch.context] : []), ...(batch.logDet ? [batch.logDet] : [])]);
}

/**
 * Bits per dimension from a mean NLL (nats per example) of data quantized with bin width `bin`:
 * the discrete probability of a value is about `p(x) · bin^D`, so
 * `bpd = (NLL / D − log bin) / log 2`. For 8-bit data dequantized as x = v/255 + U/255 (bin 1/255) this is
 * `(−log p(x)/784 + log 255)/log 2`; for the logit setting's (v + U)/256, `+ log 256`.
 */
export function bitsPerDimension(meanNll: number, dimensions: number, bin: number): number {
  if (!(bin > 0)) throw new RangeError(`bitsPerDimension: bin width must be positive, got ${bin}`);
  return (meanNll / dimensions - Math.log(bin)) / Math.LN2;
}

export interface KlEstimate {
  kl: number;
  standardError: number;
  testNll: number;
}

export interface KlOptions {
  samples?: number;
  batchSize?: number;
  seed?: number;
}

const KL_OPTION_NAMES = optionNames<KlOptions>()(['samples', 'batchSize', 'seed']);

/**
 * KL(p ‖ q) from a target p with an exact density to the model q, estimated with `n` samples of p:
 * `E_p[log p(x) − log q(x)]`. Also returns the model's NLL on those samples and its standard error.
 * Each batch is reduced on the device to three sums, which are accumulated in float64 here.
 */
export function klFromTarget(model: Distribution, target: Distribution, options: KlOptions = {}): KlEstimate {
  assertKnownOptions(options, KL_OPTION_NAMES, 'klFromTarget');
  if (!canReadSynchronously())
    throw new Error(`klFromTarget: the ${tf.getBackend()} backend cannot read tensors synchronously here; use await klFromTargetAsync(...)`);
  const estimate = new KlAccumulator(options);
  for (let size = estimate.nextBatch(); size > 0; size = estimate.nextBatch()) estimate.add(readAndDispose(klBatchSums(model, target, size, estimate.random)));
  return estimate.result();
}

/** {@link klFromTarget} with asynchronous read-backs: works on every backend. */
export async function klFromTargetAsync(model: Distribution, target: Distribution, options: KlOptions = {}): Promise<KlEstimate> {
  assertKnownOptions(options, KL_OPTION_NAMES, 'klFromTargetAsync');
  const estimate = new KlAccumulator(options);
  for (let size = estimate.nextBatch(); size > 0; size = estimate.nextBatch()) {
    const sums = klBatchSums(model, target, size, estimate.random);
    estimate.add(Array.from(await sums.data()));
    sums.dispose();
  }
  return estimate.result();
}

function readAndDispose(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

/** `[Σ (log p − log q), Σ (log p − log q)², Σ −log q]` over `size` samples of the target. */
function klBatchSums(model: Distribution, target: Distribution, size: number, random: Random): tf.Tensor1D {
  return tf.tidy(() => {
    const x = target.sample(size, { random });
    const logQ = model.uncheckedLogProb(x);
    const diff = tf.sub(target.uncheckedLogProb(x), logQ);
    return tf.stack([tf.sum(diff), tf.sum(tf.square(diff)), tf.neg(tf.sum(logQ))]) as tf.Tensor1D;
  });
}

class KlAccumulator {
  readonly random: Random;
  private readonly n: number;
  private readonly batchSize: number;
  private done = 0;
  private sums = [0, 0, 0];

  constructor(options: KlOptions) {
    this.n = options.samples ?? 200_000;
    this.batchSize = options.batchSize ?? 10_000;
    this.random = new Random(options.seed ?? 12345);
  }

  /** The size of the next batch, 0 when done. */
  nextBatch(): number {
    const size = Math.min(this.batchSize, this.n - this.done);
    this.done += Math.max(size, 0);
    return Math.max(size, 0);
  }

  add(batchSums: number[]): void {
    batchSums.forEach((value, i) => (this.sums[i] += value));
  }

  result(): KlEstimate {
    const [sumDiff, sumDiffSquares, sumNll] = this.sums;
    const mean = sumDiff / this.n;
    return { kl: mean, standardError: Math.sqrt(Math.max(0, sumDiffSquares / this.n - mean * mean) / this.n), testNll: sumNll / this.n };
  }
}
