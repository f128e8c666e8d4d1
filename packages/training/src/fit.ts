import * as tf from '@tensorflow/tfjs-core';
import { Random, assertKnownOptions, optionNames } from '@flows/core';
import type { Distribution } from '@flows/distributions';
import { type Batch, splitRows, tensorData, type TrainingData } from './data.js';
import type { SettingNames } from './loss-errors.js';
import { type FitProgress, LossMonitor } from './loss-monitor.js';
import { meanNegativeLogLikelihoodAsync } from './metrics.js';
import { Adam, type LearningRateSchedule } from '@flows/optimizers';

export interface EpochEnd {
  epoch: number;
  step: number;
  /** Mean training loss of the epoch's reported intervals. */
  trainLoss: number;
  validationLoss: number | null;
  seconds: number;
}

export interface FitOptions<Model = Distribution | Trainable> {
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
  /** Called after each epoch; may be async (checkpoints). Return (or resolve to) `false` to stop; anything else continues. */
  onEpochEnd?: (info: EpochEnd) => unknown;
  /** Cancels between steps. */
  signal?: AbortSignal;
  /**
   * Stop with a {@link DivergenceError} when a reported loss exceeds the best so far (or the
   * starting loss) by more than this factor times the larger of 1, the best loss's size and the
   * progress made (default 10; `false` turns the check off).
   */
  divergence?: number | false;
  /** The loss of a batch (default: mean negative log-likelihood, adding `batch.logDet`); required for models that are not distributions. */
  loss?: (model: Model, batch: Batch) => tf.Scalar;
  /**
   * How the advice in fit's errors ({@link NonFiniteLossError}, {@link DivergenceError}) names the
   * settings that could help, for an app whose users set them as flags
   * (`{ learningRate: '--lr', clipNorm: '--clip-norm' }`): given, only the settings it names are
   * offered, under those names, so an app never suggests a library option its users cannot set;
   * not given, the library's own names (`learningRate`, `clipNorm`, `scaleTanh`).
   */
  settingNames?: SettingNames;
}

/** Every option fit takes; others are rejected with a message that names them. */
export const FIT_OPTION_NAMES = optionNames<FitOptions>()([
  'epochs',
  'steps',
  'batchSize',
  'learningRate',
  'clipNorm',
  'weightDecay',
  'optimizer',
  'initialEpoch',
  'validationSplit',
  'validationData',
  'patience',
  'random',
  'reportEvery',
  'onProgress',
  'onEpochEnd',
  'signal',
  'divergence',
  'loss',
  'settingNames',
]);

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
  /**
   * The optimizer, with its step count and moments, to continue with (`optimizer` of a later fit).
   * When fit made it (no `optimizer` given), the caller owns it: `result.optimizer.dispose()` frees
   * its tensors (two on wasm for the fused update's state).
   */
  optimizer: Adam;
}

/** Thrown for training or validation data that cannot be trained on: no rows, NaN or infinite values, values beyond float32 arithmetic. */
export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

/** Values this large overflow float32 as soon as a layer squares or multiplies them (x² > 3.4e38). */
const LARGEST_SENSIBLE_VALUE = 1e15;

/**
 * Checks a data tensor once, before training: every value finite and below
 * {@link LARGEST_SENSIBLE_VALUE} in size; otherwise names the first bad row. One read-back.
 */
async function checkDataValues(x: tf.Tensor, what: string): Promise<void> {
  if (x.shape[0] === 0) throw new TrainingDataError(`fit: the ${what} data have no rows`);
  const rowsBad = tf.tidy(() => {
    const rows = tf.reshape(x, [x.shape[0], -1]);
    const bad = tf.logicalOr(tf.logicalNot(tf.isFinite(rows)), tf.greater(tf.abs(rows), LARGEST_SENSIBLE_VALUE));
    return tf.any(bad, 1);
  });
  const flags = await rowsBad.data();
  rowsBad.dispose();
  const row = flags.findIndex((flag) => flag !== 0);
  if (row < 0) return;
  const badRow = tf.tidy(() => tf.reshape(tf.slice(x, [row], [1]), [-1]));
  const values = await badRow.data();
  badRow.dispose();
  const value = Array.from(values).find((v) => !Number.isFinite(v) || Math.abs(v) > LARGEST_SENSIBLE_VALUE)!;
  throw new TrainingDataError(
    Number.isFinite(value)
      ? `fit: row ${row} of the ${what} data holds ${value.toPrecision(3)}, beyond ±${LARGEST_SENSIBLE_VALUE.toExponential(0)}: such values overflow float32 arithmetic in the layers; check the data's units or standardise them`
      : `fit: row ${row} of the ${what} data holds ${value}; remove or repair such rows before training`,
  );
}

/** The shape of one event of a model that declares it (a distribution), else null. */
function modelEventShape(model: object): readonly number[] | null {
  const shape = (model as { eventShape?: unknown }).eventShape;
  return Array.isArray(shape) && shape.every((d) => Number.isInteger(d)) ? shape : null;
}

/**
 * Checks that rows of shape `dataShape` (batch first) are events of the model's shape, naming both
 * sizes: TensorFlow.js would otherwise stop inside a layer with "Operands could not be broadcast
 * together", which names neither the data nor the model.
 */
function checkRowShape(dataShape: readonly number[], eventShape: readonly number[], what: string): void {
  const row = dataShape.slice(1);
  if (row.length === eventShape.length && row.every((d, i) => d === eventShape[i])) return;
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const [dataSize, modelSize] = [size(row), size(eventShape)];
  const side = Math.round(Math.sqrt(dataSize));
  const images = side >= 2 && side * side === dataSize && Number.isInteger(Math.sqrt(modelSize)) ? ` (${side}×${side} images?)` : '';
  const shape = (s: readonly number[]) => `[${s.join(', ')}]`;
  if (dataSize !== modelSize && row.length === 1 && eventShape.length === 1) {
    throw new TrainingDataError(`fit: the ${what} data has ${dataSize} columns${images}; the model's event size is ${modelSize}`);
  }
  if (dataSize !== modelSize) {
    throw new TrainingDataError(
      `fit: the ${what} data's rows have shape ${shape(row)}, ${dataSize} values${images}; the model's event shape is ${shape(eventShape)}, ${modelSize} values`,
    );
  }
  throw new TrainingDataError(
    `fit: the ${what} data's rows have shape ${shape(row)}; the model's event shape is ${shape(eventShape)}: reshape the data to [rows, ${eventShape.join(', ')}]`,
  );
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

/** Anything with trainable variables: a distribution, or a model such as a VAE with its own loss. */
export interface Trainable {
  readonly trainableVariables: tf.Variable[];
}

type LossFunction = (model: Distribution | Trainable, batch: Batch) => tf.Scalar;

/** The training and validation data as batch sources, and the tensors made for them (fit disposes them). */
interface PreparedData {
  training: TrainingData;
  validation: TrainingData | undefined;
  owned: tf.Tensor[];
}

/**
 * Trains `model` by minimising `loss` (default: mean NLL) with Adam. Leak-free: every step's
 * tensors are disposed, and the loss is read back only every `reportEvery` steps (a
 * {@link LossMonitor} watches it). On a NaN or infinite loss it restores the weights of the last
 * good report and throws {@link NonFiniteLossError}; on a runaway loss, {@link DivergenceError}.
 */
export async function fit<Model extends Distribution | Trainable>(
  model: Model,
  data: TrainingData | tf.Tensor,
  options: FitOptions<Model> = {},
): Promise<FitResult> {
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
  const lossFn = (options.loss ?? negativeLogLikelihoodLoss) as LossFunction;
  // Rows are the model's events under the default loss; a custom loss decides itself what its
  // data are (reverse KL trains on sample counts).
  const eventShape = options.loss ? null : modelEventShape(model);
  const divergence = options.divergence ?? 10;
  if (divergence !== false && !(divergence > 0)) throw new RangeError(`fit: divergence must be a positive factor or false, got ${divergence}`);
  const { training, validation, owned } = await prepareData(data, options, eventShape, random);

  let optimizer: Adam;
  try {
    optimizer = options.optimizer ?? new Adam(variables, { learningRate: options.learningRate, clipNorm: options.clipNorm, weightDecay: options.weightDecay });
  } catch (error) {
    // The split's rows are fit's own: an option the optimizer refuses must not leak them.
    tf.dispose(owned);
    throw error;
  }
  const stepsPerEpoch = Math.ceil(training.size / batchSize);
  const epochs = options.epochs ?? (options.steps !== undefined ? Infinity : 1);
  const totalSteps = Math.min(options.steps ?? Infinity, optimizer.step + (Number.isFinite(epochs) ? epochs * stepsPerEpoch : Infinity));
  const validationHistory: FitResult['validation'] = [];
  // The best weights are copied only when they may be restored (with patience).
  let best: { loss: number; weights: tf.Tensor[] | null } | null = null;
  let sinceBest = 0;
  let stoppedEarly = false;
  let cancelled = false;
  const monitor = new LossMonitor({ variables, optimizer, totalSteps, divergence, settingNames: options.settingNames, onProgress: options.onProgress });
  const start = performance.now();
  let epoch = options.initialEpoch ?? 0;

  try {
    outer: for (let e = 0; e < epochs && optimizer.step < totalSteps; e++) {
      const epochStart = performance.now();
      const historyBefore = monitor.history.length;
      for (const batch of training.batches(batchSize, random)) {
        if (options.signal?.aborted) {
          disposeBatch(batch);
          cancelled = true;
          break outer;
        }
        const stepLoss = trainingStep(model, batch, lossFn, variables, optimizer, eventShape);
        monitor.record(stepLoss, batch.x.shape[0]);
        disposeBatch(batch);
        stepLoss.dispose();
        if (optimizer.step % reportEvery === 0) await monitor.report(epoch);
        if (optimizer.step >= totalSteps) break;
      }
      await monitor.report(epoch);
      epoch += 1;
      const epochLosses = monitor.history.slice(historyBefore).map((h) => h.loss);
      let validationLoss: number | null = null;
      if (validation) {
        validationLoss = await validationLossOf(model, validation, options.loss ? lossFn : null, batchSize, epoch);
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
        trainLoss: epochLosses.length ? epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length : monitor.lastLoss,
        validationLoss,
        seconds: (performance.now() - epochStart) / 1000,
      });
      if (proceed === false) break;
      if (options.patience !== undefined && sinceBest >= options.patience) {
        stoppedEarly = true;
        break;
      }
    }
    await monitor.report(epoch);
    if (best?.weights) restore(variables, best.weights);
  } finally {
    monitor.dispose();
    if (best?.weights) tf.dispose(best.weights);
    tf.dispose(owned);
  }
  return {
    steps: optimizer.step,
    epochs: epoch,
    loss: monitor.lastLoss,
    history: monitor.history,
    validation: validationHistory,
    bestValidationLoss: best ? (best as { loss: number }).loss : null,
    stoppedEarly,
    cancelled,
    seconds: (performance.now() - start) / 1000,
    optimizer,
  };
}

/**
 * Checks tensor data once, up front, before anything is made from them (a generator's batches are
 * checked as they come: their shape before each step, their values by the loss), and turns the
 * data and the validation options into batch sources.
 */
async function prepareData(
  data: TrainingData | tf.Tensor,
  options: Pick<FitOptions, 'validationSplit' | 'validationData'>,
  eventShape: readonly number[] | null,
  random: Random,
): Promise<PreparedData> {
  if (eventShape && data instanceof tf.Tensor) checkRowShape(data.shape, eventShape, 'training');
  if (eventShape && options.validationData instanceof tf.Tensor) checkRowShape(options.validationData.shape, eventShape, 'validation');
  if (data instanceof tf.Tensor) await checkDataValues(data, 'training');
  if (options.validationData instanceof tf.Tensor) await checkDataValues(options.validationData, 'validation');

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
  if (training.size === 0 || (validation && validation.size === 0)) {
    tf.dispose(owned);
    throw new TrainingDataError(`fit: the ${training.size === 0 ? 'training' : 'validation'} data have no rows`);
  }
  return { training, validation, owned };
}

/** One optimizer step on a batch (its rows checked against the model's events first); returns the batch's loss before the update. */
function trainingStep(
  model: Distribution | Trainable,
  batch: Batch,
  lossFn: LossFunction,
  variables: tf.Variable[],
  optimizer: Adam,
  eventShape: readonly number[] | null,
): tf.Tensor {
  if (eventShape) {
    try {
      checkRowShape(batch.x.shape, eventShape, 'training');
    } catch (error) {
      disposeBatch(batch);
      throw error;
    }
  }
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => lossFn(model, batch), variables);
    optimizer.applyGradients(grads);
    return value;
  });
}

/** The validation loss after `epoch` (the custom loss's mean, else the NLL), refusing a NaN or infinite one. */
async function validationLossOf(
  model: Distribution | Trainable,
  validation: TrainingData,
  customLoss: LossFunction | null,
  batchSize: number,
  epoch: number,
): Promise<number> {
  const loss = customLoss
    ? await meanLoss(model, validation, customLoss, batchSize)
    : await meanNegativeLogLikelihoodAsync(model as Distribution, validation, { batchSize: Math.max(batchSize, 1024) });
  if (!Number.isFinite(loss)) {
    throw new TrainingDataError(
      `fit: the validation loss after epoch ${epoch} is ${loss}: the validation data hold NaN, infinite or out-of-range values, or the model gives them no density`,
    );
  }
  return loss;
}

/** The size-weighted mean of a custom loss over a data set, without gradients; one read-back at the end. */
async function meanLoss(model: Distribution | Trainable, data: TrainingData, lossFn: LossFunction, batchSize: number): Promise<number> {
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
