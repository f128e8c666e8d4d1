import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { ContinuousFlow } from '@flows/continuous';
import type { Distribution } from '@flows/distributions';
import { type Batch, meanNegativeLogLikelihoodAsync, type TrainingData } from '@flows/flows';

/** Images per batch of an evaluation (each a cnf's ODE solve). */
export const EVALUATION_BATCH = 500;

/**
 * The seed of Hutchinson's probes in a cnf's evaluation: the same probes in every evaluation, in
 * training and in `eval`, so that one model's figure is the same number wherever it is computed.
 */
export const EVALUATION_TRACE_SEED = 0;

/** A model's mean NLL (nats per image) on test data, and for a cnf the function evaluations per solve. */
export interface TestScore {
  nll: number;
  /** A cnf's mean function evaluations (NFE) per batch solve; null for the other flows. */
  nfe: number | null;
}

/**
 * The mean negative log-likelihood of `data` (the preprocessing's log-det counted). A continuous
 * flow's log-density is a solve of the log-density ODE with its own solver and Hutchinson's trace
 * (the exact trace would cost 784 products per function evaluation), its probes drawn from a
 * generator seeded with {@link EVALUATION_TRACE_SEED} afresh for each evaluation, not the flow's
 * own generator, which moves on with every call; the function evaluations each solve took are
 * counted. Unbiased: Hutchinson's estimate of the trace is, and the mean over thousands of images
 * averages its noise away.
 */
export async function testScore(model: Distribution, data: TrainingData): Promise<TestScore> {
  if (!(model instanceof ContinuousFlow)) return { nll: await meanNegativeLogLikelihoodAsync(model, data, { batchSize: EVALUATION_BATCH }), nfe: null };
  const random = new Random(EVALUATION_TRACE_SEED);
  let evaluations = 0;
  let solves = 0;
  const { total, count } = await sumOverTestBatches(
    data,
    (batch) => {
      let logProb: tf.Tensor = model.uncheckedLogProbWith(batch.x, { context: batch.context, random });
      if (batch.logDet) logProb = tf.add(logProb, batch.logDet);
      return tf.sum(logProb) as tf.Scalar;
    },
    () => {
      evaluations += model.lastSolveStats?.nfe ?? 0;
      solves++;
    },
  );
  if (count === 0) throw new Error('testScore: no test images');
  return { nll: -total / count, nfe: evaluations / solves };
}

/**
 * The sum over the test data's batches (of {@link EVALUATION_BATCH} images, in order) of `score`, a
 * scalar per batch read back once, and the images counted; `afterBatch` runs after each read-back.
 * Every batch's tensors are disposed. The evaluations of a cnf and of a variational run share it.
 */
export async function sumOverTestBatches(
  data: TrainingData,
  score: (batch: Batch) => tf.Scalar,
  afterBatch?: () => void,
): Promise<{ total: number; count: number }> {
  let total = 0;
  let count = 0;
  for (const batch of data.batches(EVALUATION_BATCH, new Random(0))) {
    const sum = tf.tidy(() => score(batch));
    total += (await sum.data())[0];
    afterBatch?.();
    count += batch.x.shape[0];
    tf.dispose([sum, batch.x, ...(batch.context ? [batch.context] : []), ...(batch.logDet ? [batch.logDet] : [])]);
  }
  return { total, count };
}
