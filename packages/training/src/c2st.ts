import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames, type Random, toRandom } from '@flows/core';
import { MLP } from '@flows/networks';
import { Adam } from '@flows/optimizers';

/** Options of {@link classifierTwoSampleTest}. */
export interface C2stOptions {
  /** Folds of the stratified cross-validation (default 5). */
  folds?: number;
  /** Hidden widths of the classifier (default [10·D, 10·D], the SBI benchmark's). */
  hidden?: number[];
  /** Most epochs per fold (default 300); training stops earlier when the loss stalls, as scikit-learn's MLPClassifier does. */
  maxEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seed or generator for the folds, the initial weights and the batches (default 0: the same answer each run). */
  random?: Random | number;
}

/** What {@link classifierTwoSampleTest} reports. */
export interface C2stResult {
  /** Mean held-out accuracy over the folds: 0.5 when the classifier cannot tell the samples apart, 1 when it always can. */
  accuracy: number;
  foldAccuracies: number[];
}

const C2ST_OPTION_NAMES = optionNames<C2stOptions>()(['folds', 'hidden', 'maxEpochs', 'batchSize', 'learningRate', 'random']);

/** Epochs without a drop of the training loss by more than this (relative to nothing: in nats), before stopping (scikit-learn's `tol`, `n_iter_no_change`). */
const TOLERANCE = 1e-4;
const PATIENCE = 10;

/**
 * The classifier two-sample test (C2ST; Lopez-Paz and Oquab 2017) as the SBI benchmark reports it
 * (Lueckmann et al. 2021): both samples standardised with the first one's mean and standard
 * deviation, an MLP classifier (ReLU, two hidden layers of 10·D, Adam, batches of 200, training
 * until the loss stalls) trained to tell them apart, and its held-out accuracy averaged over a
 * stratified k-fold cross-validation. 0.5 means the two samples are indistinguishable to the
 * classifier; the benchmark scores a posterior approximation by its C2ST against reference
 * posterior samples. Synchronous; under `tf.tidy` step by step.
 */
export function classifierTwoSampleTest(first: tf.Tensor2D, second: tf.Tensor2D, options: C2stOptions = {}): C2stResult {
  const who = 'classifierTwoSampleTest';
  assertKnownOptions(options, C2ST_OPTION_NAMES, who);
  for (const [name, sample] of [
    ['first', first],
    ['second', second],
  ] as const) {
    if (!(sample instanceof tf.Tensor) || sample.rank !== 2) throw new RangeError(`${who}: the ${name} sample must be a tensor of shape [n, D]`);
  }
  const d = first.shape[1];
  if (second.shape[1] !== d) throw new RangeError(`${who}: the samples have ${d} and ${second.shape[1]} columns; they must be points of one space`);
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) throw new RangeError(`${who}: folds must be an integer of at least 2, got ${folds}`);
  if (Math.min(first.shape[0], second.shape[0]) < folds) throw new RangeError(`${who}: each sample needs at least ${folds} rows (one per fold)`);
  const hidden = options.hidden ?? [10 * d, 10 * d];
  const maxEpochs = options.maxEpochs ?? 300;
  const batchSize = options.batchSize ?? 200;
  const learningRate = options.learningRate ?? 1e-3;
  const random = toRandom(options.random ?? 0);

  const points = tf.tidy(() => {
    const mean = tf.mean(first, 0);
    const std = tf.add(tf.sqrt(tf.moments(first, 0).variance), 1e-12);
    return tf.div(tf.sub(tf.concat([first, second], 0), mean), std) as tf.Tensor2D;
  });
  const labels = tf.tidy(() => tf.concat([tf.zeros([first.shape[0], 1]), tf.ones([second.shape[0], 1])], 0) as tf.Tensor2D);
  // Stratified folds: each class's rows shuffled, then dealt out to the folds in turn.
  const foldOf = new Int32Array(first.shape[0] + second.shape[0]);
  for (const [start, count] of [
    [0, first.shape[0]],
    [first.shape[0], second.shape[0]],
  ]) {
    random.permutation(count).forEach((row, position) => {
      foldOf[start + row] = position % folds;
    });
  }
  const foldAccuracies: number[] = [];
  try {
    for (let fold = 0; fold < folds; fold++) {
      const train = Int32Array.from(foldOf.keys()).filter((row) => foldOf[row] !== fold);
      const test = Int32Array.from(foldOf.keys()).filter((row) => foldOf[row] === fold);
      foldAccuracies.push(trainAndScore(points, labels, train, test, { hidden, maxEpochs, batchSize, learningRate, random }));
    }
  } finally {
    tf.dispose([points, labels]);
  }
  return { accuracy: foldAccuracies.reduce((a, b) => a + b, 0) / folds, foldAccuracies };
}

/** Trains a fresh classifier on the `train` rows and returns its accuracy on the `test` rows. */
function trainAndScore(
  points: tf.Tensor2D,
  labels: tf.Tensor2D,
  train: Int32Array,
  test: Int32Array,
  settings: { hidden: number[]; maxEpochs: number; batchSize: number; learningRate: number; random: Random },
): number {
  const classifier = new MLP({ inputSize: points.shape[1], outputSize: 1, hidden: settings.hidden, zeroInitLast: false, seed: settings.random.nextUint32() });
  const adam = new Adam(classifier.trainableVariables, { learningRate: settings.learningRate });
  try {
    let best = Number.POSITIVE_INFINITY;
    let stalled = 0;
    const order = Array.from(train);
    for (let epoch = 0; epoch < settings.maxEpochs && stalled < PATIENCE; epoch++) {
      settings.random.shuffleInPlace(order);
      let total: tf.Scalar = tf.scalar(0);
      for (let start = 0; start < order.length; start += settings.batchSize) {
        const rows = order.slice(start, start + settings.batchSize);
        const { value, grads } = tf.tidy(() => {
          const index = tf.tensor1d(rows, 'int32');
          const x = tf.gather(points, index) as tf.Tensor2D;
          const y = tf.gather(labels, index);
          return tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(y, classifier.apply(x)) as tf.Scalar, classifier.trainableVariables);
        });
        adam.applyGradients(grads);
        const next = tf.tidy(() => tf.add(total, tf.mul(value, rows.length)) as tf.Scalar);
        tf.dispose([total, value, ...Object.values(grads)]);
        total = next;
      }
      const loss = total.dataSync()[0] / order.length;
      total.dispose();
      if (loss < best - TOLERANCE) {
        best = loss;
        stalled = 0;
      } else {
        stalled++;
      }
    }
    return tf.tidy(() => {
      const index = tf.tensor1d(test, 'int32');
      const predicted = tf.greater(classifier.apply(tf.gather(points, index) as tf.Tensor2D), 0);
      const correct = tf.equal(predicted, tf.cast(tf.gather(labels, index), 'bool'));
      return tf.mean(tf.cast(correct, 'float32')).dataSync()[0];
    });
  } finally {
    adam.dispose();
    classifier.dispose();
  }
}
