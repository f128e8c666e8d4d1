import * as tf from '@tensorflow/tfjs';
import { Random, assertKnownOptions, optionNames } from '@flows/bijectors';
import type { Distribution } from '@flows/distributions';
import { type Batch, splitRows, tensorData, type TrainingData } from './data.js';
import { meanNegativeLogLikelihoodAsync } from './metrics.js';
import { Adam, type LearningRateSchedule } from './optimizer.js';

export interface FitProgress {
  step: number;
  /** Total steps planned (may be approximate when epochs end early). */
  totalSteps: number;
  epoch: number;
  /** Mean training loss over the steps since the last report. */
  loss: number;
  learningRate: number;
  samplesPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

export interface EpochEnd {
  epoch: number;
  step: number;
  /** Mean training loss of the epoch's reported intervals. */
  trainLoss: number;
  validationLoss: number | null;
  seconds: number;
}

export interface FitOptions {
  /** Passes over the data (default 1 unless `steps` is given). */
  epochs?: number;
  /** Stop after this many optimizer steps in total (counting an `optimizer`'s earlier steps). */
  steps?: number;
  batchSize?: number;
  learningRate?: number | LearningRateSchedule;
  clipNorm?: number;
  weightDecay?: number;
  /** Continue with this optimizer (and its step count) instead of a new Adam. */
  optimizer?: Adam;
  /** The epoch to start counting from when resuming (default 0). */
  initialEpoch?: number;
  /** Hold out this fraction of tensor data for validation. */
  validationSplit?: number;
  validationData?: TrainingData | tf.Tensor;
  /** Stop after this many epochs without a better validation loss; the best weights are restored. */
  patience?: number;
  /** Seed or generator for shuffling and any noise (default seed 0). */
  random?: Random | number;
  /** Read the loss back and report every N steps (default 100). Reading every step stalls a GPU. */
  reportEvery?: number;
  onProgress?: (progress: FitProgress) => void;
  /** Called after each epoch; may be async (checkpoints). Return `false` to stop. */
  onEpochEnd?: (info: EpochEnd) => void | boolean | Promise<void | boolean>;
  /** Cancels between steps. */
  signal?: AbortSignal;
  /** The loss of a batch (default: mean negative log-likelihood, adding `batch.logDet`); required for models that are not distributions. */
  loss?: (model: any, batch: Batch) => tf.Scalar; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Every option fit takes; others are rejected with a message that names them. */
export const FIT_OPTION_NAMES = optionNames<FitOptions>()(['epochs', 'steps', 'batchSize', 'learningRate', 'clipNorm', 'weightDecay', 'optimizer', 'initialEpoch', 'validationSplit', 'validationData', 'patience', 'random', 'reportEvery', 'onProgress', 'onEpochEnd', 'signal', 'loss']);

export interface FitResult {
  steps: number;
  epochs: number;
  /** Last reported mean training loss. */
  loss: number;
  history: { step: number; loss: number }[];
  validation: { epoch: number; loss: number }[];
  bestValidationLoss: number | null;
  stoppedEarly: boolean;
  cancelled: boolean;
  seconds: number;
  optimizer: Adam;
}

/** Thrown when the loss turns NaN or infinite; the weights of the last good report are restored. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly restoredStep: number,
  ) {
    super(`the training loss became NaN or infinite by step ${step}; weights restored to those of step ${restoredStep}. Try a lower learning rate, clipNorm, or scaleTanh.`);
    this.name = 'NonFiniteLossError';
  }
}

/** Mean negative log-likelihood of a batch (nats), counting a preprocessing log-det. */
export function negativeLogLikelihoodLoss(model: Distribution, batch: Batch): tf.Scalar {
  let logProb = model.uncheckedLogProb(batch.x, batch.context);
  if (batch.logDet) logProb = tf.add(logProb, batch.logDet);
  return tf.neg(tf.mean(logProb)) as tf.Scalar;
}

function snapshot(variables: readonly tf.Variable[]): tf.Tensor[] {
  return variables.map((v) => tf.keep(tf.clone(v)));
}

function restore(variables: readonly tf.Variable[], values: tf.Tensor[]): void {
  variables.forEach((v, i) => v.assign(values[i]));
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Trains `model` by minimising `loss` (default: mean NLL) with Adam. Leak-free: every step's
 * tensors are disposed, and the loss is read back only every `reportEvery` steps. On a NaN or
 * infinite loss it restores the weights of the last good report and throws {@link NonFiniteLossError}.
 */
/** Anything with trainable variables: a distribution, or a model such as a VAE with its own loss. */
export interface Trainable {
  readonly trainableVariables: tf.Variable[];
}

export async function fit(model: Distribution | Trainable, data: TrainingData | tf.Tensor, options: FitOptions = {}): Promise<FitResult> {
  assertKnownOptions(options, FIT_OPTION_NAMES, 'fit');
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`fit: batchSize must be a positive integer, got ${batchSize}`);
  const reportEvery = options.reportEvery ?? 100;
  if (!Number.isInteger(reportEvery) || reportEvery <= 0) throw new RangeError(`fit: reportEvery must be a positive integer, got ${reportEvery}`);
  if (options.epochs !== undefined && !(Number.isInteger(options.epochs) && options.epochs >= 0)) {
    throw new RangeError(`fit: epochs must be a non-negative integer, got ${options.epochs}`);
  }
  if (options.steps !== undefined && !(Number.isInteger(options.steps) && options.steps >= 0)) {
    throw new RangeError(`fit: steps must be a non-negative integer, got ${options.steps}`);
  }
  const variables = model.trainableVariables;
  if (variables.length === 0) throw new Error('fit: the model has no trainable variables');
  const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
  if (!options.loss && typeof (model as Distribution).uncheckedLogProb !== 'function') {
    throw new Error('fit: the model is not a distribution, so pass a loss function');
  }
  const lossFn = (options.loss ?? negativeLogLikelihoodLoss) as (model: Distribution | Trainable, batch: Batch) => tf.Scalar;

  const owned: tf.Tensor[] = [];
  let training: TrainingData;
  let validation: TrainingData | undefined;
  if (data instanceof tf.Tensor) {
    if (options.validationSplit !== undefined) {
      const [trainRows, heldRows] = splitRows(data, options.validationSplit, random);
      owned.push(trainRows, heldRows);
      training = tensorData(trainRows);
      validation = tensorData(heldRows);
    } else {
      training = tensorData(data);
    }
  } else {
    if (options.validationSplit !== undefined) throw new Error('fit: validationSplit needs tensor data; pass validationData instead');
    training = data;
  }
  if (options.validationData) validation = options.validationData instanceof tf.Tensor ? tensorData(options.validationData) : options.validationData;

  const optimizer = options.optimizer ?? new Adam(variables, { learningRate: options.learningRate, clipNorm: options.clipNorm, weightDecay: options.weightDecay });
  const stepsPerEpoch = Math.ceil(training.size / batchSize);
  const epochs = options.epochs ?? (options.steps !== undefined ? Infinity : 1);
  const startStep = optimizer.step;
  const totalSteps = Math.min(options.steps ?? Infinity, startStep + (Number.isFinite(epochs) ? epochs * stepsPerEpoch : Infinity));
  const history: FitResult['history'] = [];
  const validationHistory: FitResult['validation'] = [];
  // The best weights are copied only when they may be restored (with patience).
  let best: { loss: number; weights: tf.Tensor[] | null } | null = null;
  let sinceBest = 0;
  let good = { step: optimizer.step, weights: snapshot(variables) };
  let runningLoss: tf.Tensor | null = null;
  let runningSteps = 0;
  let lastLoss = NaN;
  let stoppedEarly = false;
  let cancelled = false;
  const start = performance.now();
  let samplesSinceStart = 0;
  let epoch = options.initialEpoch ?? 0;

  const report = async (): Promise<void> => {
    if (!runningLoss || runningSteps === 0) return;
    const mean = (await runningLoss.data())[0] / runningSteps;
    runningLoss.dispose();
    runningLoss = null;
    runningSteps = 0;
    if (!Number.isFinite(mean)) {
      restore(variables, good.weights);
      throw new NonFiniteLossError(optimizer.step, good.step);
    }
    lastLoss = mean;
    history.push({ step: optimizer.step, loss: mean });
    tf.dispose(good.weights);
    good = { step: optimizer.step, weights: snapshot(variables) };
    const elapsed = (performance.now() - start) / 1000;
    const done = optimizer.step - startStep;
    const remaining = Number.isFinite(totalSteps) ? totalSteps - optimizer.step : NaN;
    options.onProgress?.({
      step: optimizer.step,
      totalSteps,
      epoch,
      loss: mean,
      learningRate: optimizer.learningRate,
      samplesPerSecond: samplesSinceStart / Math.max(elapsed, 1e-9),
      elapsedSeconds: elapsed,
      etaSeconds: done > 0 ? (elapsed / done) * remaining : NaN,
    });
    await yieldToEventLoop();
  };

  try {
    outer: for (let e = 0; e < epochs && optimizer.step < totalSteps; e++) {
      const epochStart = performance.now();
      const epochLosses: number[] = [];
      const historyBefore = history.length;
      for (const batch of training.batches(batchSize, random)) {
        if (options.signal?.aborted) {
          disposeBatch(batch);
          cancelled = true;
          break outer;
        }
        const size = batch.x.shape[0];
        const stepLoss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => lossFn(model, batch), variables);
          optimizer.applyGradients(grads);
          return value;
        });
        disposeBatch(batch);
        const accumulated: tf.Tensor = runningLoss ? tf.add(runningLoss, stepLoss) : tf.clone(stepLoss);
        if (runningLoss) (runningLoss as tf.Tensor).dispose();
        stepLoss.dispose();
        runningLoss = accumulated;
        runningSteps += 1;
        samplesSinceStart += size;
        if (optimizer.step % reportEvery === 0) await report();
        if (optimizer.step >= totalSteps) break;
      }
      await report();
      epoch += 1;
      for (const h of history.slice(historyBefore)) epochLosses.push(h.loss);
      let validationLoss: number | null = null;
      if (validation) {
        validationLoss = options.loss ? await meanLoss(model, validation, lossFn, batchSize) : await meanNegativeLogLikelihoodAsync(model as Distribution, validation, { batchSize: Math.max(batchSize, 1024) });
        validationHistory.push({ epoch, loss: validationLoss });
        if (!best || validationLoss < best.loss) {
          if (best?.weights) tf.dispose(best.weights);
          best = { loss: validationLoss, weights: options.patience !== undefined ? snapshot(variables) : null };
          sinceBest = 0;
        } else {
          sinceBest += 1;
        }
      }
      const proceed = await options.onEpochEnd?.({
        epoch,
        step: optimizer.step,
        trainLoss: epochLosses.length ? epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length : lastLoss,
        validationLoss,
        seconds: (performance.now() - epochStart) / 1000,
      });
      if (proceed === false) break;
      if (options.patience !== undefined && sinceBest >= options.patience) {
        stoppedEarly = true;
        break;
      }
    }
    await report();
    if (best?.weights) restore(variables, best.weights);
  } finally {
    if (runningLoss) (runningLoss as tf.Tensor).dispose();
    tf.dispose(good.weights);
    if (best?.weights) tf.dispose(best.weights);
    tf.dispose(owned);
  }
  return {
    steps: optimizer.step,
    epochs: epoch,
    loss: lastLoss,
    history,
    validation: validationHistory,
    bestValidationLoss: best ? (best as { loss: number }).loss : null,
    stoppedEarly,
    cancelled,
    seconds: (performance.now() - start) / 1000,
    optimizer,
  };
}

/** The size-weighted mean of a custom loss over a data set, without gradients; one read-back at the end. */
async function meanLoss(model: Distribution | Trainable, data: TrainingData, lossFn: (model: Distribution | Trainable, batch: Batch) => tf.Scalar, batchSize: number): Promise<number> {
  let total: tf.Scalar = tf.scalar(0);
  let count = 0;
  for (const batch of data.batches(batchSize, new Random(0))) {
    const n = batch.x.shape[0];
    const next = tf.tidy(() => tf.add(total, tf.mul(lossFn(model, batch), n)) as tf.Scalar);
    total.dispose();
    total = next;
    count += n;
    disposeBatch(batch);
  }
  const value = (await total.data())[0];
  total.dispose();
  return value / count;
}

function disposeBatch(batch: Batch): void {
  tf.dispose([batch.x, ...(batch.context ? [batch.context] : []), ...(batch.logDet ? [batch.logDet] : [])]);
}
