import * as tf from '@tensorflow/tfjs-core';
import { Random, assertKnownOptions } from '@flows/core';
import type { Distribution, TransformedDistribution } from '@flows/distributions';
import { type Batch, samplerData } from './data.js';
import { FIT_OPTION_NAMES, fit, type FitOptions, type FitResult } from './fit.js';

/** `log q̃(x)` per row: a target density known up to a constant. */
export type LogDensity = (x: tf.Tensor) => tf.Tensor1D;

/**
 * The reverse KL up to the target's log-normaliser, estimated on n samples of the flow:
 * `E_{x~p}[log p(x) − log q̃(x)] = KL(p ‖ q) − log Z`, with `x = f(z)` and `log p(x)` from the
 * same forward pass (as in Papamakarios et al., "Normalizing Flows for Probabilistic Modeling and
 * Inference", JMLR 2021, section 2.3.2: it needs only the forward map and its log-det). Differentiable in the flow's variables.
 */
export function reverseKLLoss(model: TransformedDistribution, target: LogDensity, n: number, random: Random, context?: tf.Tensor): tf.Scalar {
  const [x, logP] = model.uncheckedSampleAndLogProb(n, random, 1, context);
  return tf.mean(tf.sub(logP, target(x))) as tf.Scalar;
}

/** Options of {@link fitReverseKL}. */
export interface ReverseKLOptions extends Omit<FitOptions, 'loss' | 'validationSplit' | 'validationData' | 'patience' | 'epochs'> {
  /** Optimizer steps (required). */
  steps: number;
  /** Samples per step (default 512). */
  batchSize?: number;
}

const REVERSE_KL_OPTION_NAMES = FIT_OPTION_NAMES.filter((name) => !['loss', 'validationSplit', 'validationData', 'patience', 'epochs'].includes(name));

/**
 * Fits a flow to an unnormalised target by minimising the reverse KL on the flow's own samples
 * (no data). Each step draws `batchSize` fresh samples. Returns `fit`'s result; `loss` is the
 * last estimate of `KL − log Z`.
 */
export async function fitReverseKL(model: TransformedDistribution, target: LogDensity, options: ReverseKLOptions): Promise<FitResult> {
  assertKnownOptions(options, REVERSE_KL_OPTION_NAMES, 'fitReverseKL');
  if (!Number.isInteger(options.steps) || options.steps <= 0) throw new RangeError(`fitReverseKL: steps must be a positive integer, got ${options.steps}`);
  const batchSize = options.batchSize ?? 512;
  const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
  // fit draws batches from data; here a batch is only a sample count, so the "data" is a row of zeros per sample.
  const counts = samplerData((n) => tf.zeros([n, 1]), batchSize * options.steps);
  return fit(model, counts, {
    ...options,
    epochs: 1,
    steps: undefined,
    batchSize,
    random,
    loss: (m: TransformedDistribution, batch: Batch) => reverseKLLoss(m, target, batch.x.shape[0], random),
  });
}

/**
 * `log Z` of an unnormalised target by importance sampling with the flow as proposal:
 * `log Z ≈ log mean_i exp(log q̃(x_i) − log p(x_i))`, x_i ~ p. Exact in expectation of Z; the
 * log is a lower bound in expectation (Jensen), tight when the flow matches the target.
 */
export function estimateLogNormalizer(
  model: TransformedDistribution,
  target: LogDensity,
  options: { samples?: number; seed?: number; batchSize?: number } = {},
): number {
  const total = options.samples ?? 100_000;
  const batchSize = options.batchSize ?? 10_000;
  const random = new Random(options.seed ?? 0);
  // A running log-sum-exp in float64 (no array of all the weights: spreading 200 000 of them into
  // Math.max overflowed the call stack, and the memory grew with the sample count).
  let max = -Infinity;
  let scaledSum = 0;
  for (let start = 0; start < total; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    const weights = tf.tidy(() => {
      const [x, logP] = model.uncheckedSampleAndLogProb(n, random);
      return tf.sub(target(x), logP);
    });
    const values = weights.dataSync();
    weights.dispose();
    for (const w of values) {
      if (w > max) {
        scaledSum = scaledSum * Math.exp(max - w) + 1;
        max = w;
      } else {
        scaledSum += Math.exp(w - max);
      }
    }
  }
  return max + Math.log(scaledSum / total);
}

/** Options of {@link distill}. */
export type DistillOptions = ReverseKLOptions;

/**
 * Probability density distillation (van den Oord et al., Parallel WaveNet, 2018; the course
 * notes): trains a student flow, typically an IAF (cheap sampling and cheap density of its own
 * samples), to minimise `KL(student ‖ teacher) = E_{x~s}[log s(x) − log t(x)]` against a trained
 * teacher, typically a MAF (cheap density). Only the student's variables change.
 */
export function distill(student: TransformedDistribution, teacher: Distribution, options: DistillOptions): Promise<FitResult> {
  return fitReverseKL(student, (x) => teacher.uncheckedLogProb(x), options);
}
