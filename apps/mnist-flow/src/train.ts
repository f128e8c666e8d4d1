import { denseMultiplyAdds, parseOptions, startBackend, UsageError } from '@flows/cli-kit';
import type * as tf from '@tensorflow/tfjs-core';
import { type ContinuousFlow, flowMatchingLoss } from '@flows/continuous';
import type { Random } from '@flows/core';
import { acquireRunLock, Adam, type Batch, fit, schedules } from '@flows/flows';
import { epochReporter, finishRun } from './epoch-report.js';
import { CNF_TIME_FEATURES } from './mnist-model.js';
import { openRun, runSettings, startingPoint } from './mnist-run.js';
import { pixelStatistics } from './pixel-statistics.js';
import { describeScaling, layoutOf, testData, trainingData, viewFor } from './preprocessing.js';
import { DEFAULT_LOGIT_ALPHA, TRAIN_HELP, TRAIN_OPTIONS, type TrainOptions } from './train-options.js';
import { loadTrainingImages } from './training-images.js';
import { trainingProgress } from './training-progress.js';
import { pixelData, type RunModel, startFromData } from './variational-run.js';

export { TRAIN_HELP, TRAIN_OPTIONS };

/** Multiply-adds of a training step's forward pass: whether threads pay (bench/results.md); convolutions always do. */
function workPerStep(o: TrainOptions): number {
  if (o.architecture === 'multiscale') return Number.POSITIVE_INFINITY;
  if (o.architecture === 'cnf') return denseMultiplyAdds([784 + 1 + 2 * CNF_TIME_FEATURES, ...o.hidden, 784]) * o['batch-size'];
  return 2 * o.layers * denseMultiplyAdds([784, ...o.hidden, 784]) * o['batch-size'];
}

/** The options of couplings and of the multi-scale flow, which a continuous flow (`--architecture cnf`) has no use for. */
const NOT_FOR_CNF = [
  'layers',
  'mask',
  'fixed-scale',
  'steps-per-level',
  'channels',
  'prior',
  'conditioner',
  'blocks',
  'conditional',
  'validation',
  'patience',
] as const;

/** The options among `names` that the command line gives (as `--name` or `--name=value`), not left to their defaults. */
export function givenOptions(argv: readonly string[], names: readonly string[]): string[] {
  return names.filter((name) => argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`)));
}

/**
 * Refuses, by name, the options that an `--architecture cnf` run would otherwise ignore: it has no
 * couplings or levels, its field is unconditional so far, and fit's validation would score held-out
 * images by the flow-matching loss, not by their bits/dim.
 */
function checkContinuousRun(argv: readonly string[]): void {
  const given = givenOptions(argv, NOT_FOR_CNF);
  if (given.length > 0) {
    const named = given.map((name) => `--${name}`).join(', ');
    throw new UsageError(
      `${named} ${given.length > 1 ? 'do' : 'does'} not apply to --architecture cnf (a continuous flow: an MLP vector field of --hidden, trained by flow matching, unconditional, without validation); leave ${given.length > 1 ? 'them' : 'it'} out, or use --architecture coupling or multiscale`,
    );
  }
}

/**
 * Refuses, by name, what `--dequantization variational` does not take: it dequantizes the
 * multi-scale flow's logit view (so no other architecture or preprocessing), its flow is
 * unconditional, and its held-out figure would be a bound, not the bits/dim that picks an epoch.
 */
function checkVariationalRun(o: TrainOptions, argv: readonly string[]): void {
  if (o.architecture !== 'multiscale')
    throw new UsageError(
      `--dequantization variational applies to --architecture multiscale only (got --architecture ${o.architecture}); add --architecture multiscale`,
    );
  const refused = givenOptions(argv, ['exercise-scaling', 'conditional', 'validation', 'patience']);
  if (refused.length > 0)
    throw new UsageError(
      `--dequantization variational does not take --${refused[0]} (it trains an unconditional flow on the logit view, scored by its bound on the test images); leave --${refused[0]} out, or use --dequantization uniform`,
    );
}

/** A cnf's loss: conditional flow matching on the preprocessed images, its noise and times from the run's generator (which checkpoints keep). */
function flowMatchingOn(random: Random): (model: RunModel, batch: Batch) => tf.Scalar {
  return (model, batch) => flowMatchingLoss(model as ContinuousFlow, batch.x, { random });
}

/**
 * `mnist-flow train`: checks the options, locks --out, starts the backend, loads the images, opens
 * (or resumes) the run, trains with a report after every epoch, and writes the final model.
 */
export async function train(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) {
    console.log(TRAIN_HELP);
    return;
  }
  if (o['weight-decay'] < 0) throw new UsageError(`--weight-decay must be at least 0, got ${o['weight-decay']}`);
  if (o.architecture === 'cnf') checkContinuousRun(argv);
  const priorGiven = givenOptions(argv, ['prior']).length > 0;
  if (priorGiven && o.architecture === 'coupling')
    throw new UsageError('--prior applies to --architecture multiscale only (a coupling flow has one standard normal base)');
  if (priorGiven && o.prior === 'conditional' && o.conditional)
    throw new UsageError('--prior conditional does not take the --conditional label yet; use --prior standard with --conditional');
  const conditionerGiven = givenOptions(argv, ['conditioner', 'blocks']);
  if (conditionerGiven.length > 0 && o.architecture === 'coupling')
    throw new UsageError(`--${conditionerGiven[0]} applies to --architecture multiscale only (a coupling flow's networks are --hidden MLPs)`);
  if (givenOptions(argv, ['blocks']).length > 0 && o.conditioner !== 'gated-residual')
    throw new UsageError('--blocks applies to --conditioner gated-residual only');
  // The default --channels (two ConvNet layers) becomes one stream of their width for gated networks.
  if (o.conditioner === 'gated-residual' && givenOptions(argv, ['channels']).length === 0) o.channels = o.channels.slice(0, 1);
  if (o.architecture === 'multiscale' && o.conditioner === 'gated-residual' && o.channels.length !== 1)
    throw new UsageError(
      `--conditioner gated-residual takes one --channels entry (the residual stream's channels), got --channels ${o.channels.join(',')}; try --channels ${o.channels[0]}`,
    );
  if (o.patience !== undefined && o.validation === 0) throw new UsageError('--patience needs --validation N (held-out training images to watch)');
  if (o.dequantization === 'variational') checkVariationalRun(o, argv);
  const out = o.out;
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(out, 'mnist-flow train', undefined, { outputs: [/^samples(-epoch-\d+)?\.png$/, 'training.png'] });
  try {
    // The fast CPU path by default: the native kernels on wasm whenever the addon loads (pnpm install builds it where it can).
    const backend = await startBackend(o, workPerStep(o));
    if (o['exercise-scaling'] && o.logit !== undefined) throw new UsageError('--exercise-scaling and --logit are two preprocessings: choose one');
    const optionsView = viewFor(o['exercise-scaling'] ? undefined : (o.logit ?? DEFAULT_LOGIT_ALPHA));
    if (optionsView.kind === 'logit' && !(optionsView.alpha < 0.5)) throw new UsageError(`--logit must be in (0, 0.5), got ${optionsView.alpha}`);
    const images = await loadTrainingImages(o);
    console.error(`scaling: ${describeScaling(optionsView, o.dequantization === 'variational' && o.architecture === 'multiscale')}`);
    const training = await openRun(o, out, runSettings(o, optionsView));
    const settings = training.settings;
    // A new cnf's base: the training images' per-pixel mean and spread in the model's space.
    const statistics = !training.resumed && settings.architecture === 'cnf' ? await pixelStatistics(images.train, optionsView, o.limit) : undefined;
    const { model, pair, optimizerState, random, view } = startingPoint(training, o.seed, optionsView, statistics);
    const startEpoch = training.startEpoch;
    const epochs = o.epochs;
    if (startEpoch > epochs)
      throw new UsageError(
        `the checkpoint already has ${startEpoch} epochs, more than --epochs ${epochs}; pass --epochs greater than ${startEpoch} to continue`,
      );
    // A run killed after its last checkpoint but before model/ was written is finished here.
    const finished = startEpoch === epochs;
    if (finished) {
      if (!o.resume) throw new UsageError(`the checkpoint already has ${startEpoch} epochs; pass --epochs greater than that to continue`);
      console.error(`the checkpoint has all ${epochs} epochs: writing the final model and pictures`);
    }
    const conditional = model.contextSize > 0;
    const layout = layoutOf(model);
    const testLimit = Math.min(o.limit ?? Number.POSITIVE_INFINITY, o['test-limit'] ?? Number.POSITIVE_INFINITY);
    const testCount = Number.isFinite(testLimit) ? testLimit : undefined;
    // A variational run sees the pixels v/256 without noise: q draws it.
    const train = pair ? pixelData(images.train, o.limit) : trainingData(images.train, view, images.validation ? undefined : o.limit, conditional, layout);
    const validation = images.validation ? testData(images.validation, view, 54321, undefined, conditional, layout) : undefined;
    const test = pair ? pixelData(images.test, testCount, false) : testData(images.test, view, 12345, testCount, conditional, layout);
    const stepsPerEpoch = Math.ceil(train.size / o['batch-size']);
    // The schedule is a function of the optimizer's step, which the checkpoint restores, so a resumed run follows the same curve.
    const learningRate = o['lr-schedule'] === 'cosine' ? schedules.cosine(o.lr, epochs * stepsPerEpoch) : o.lr;
    const optimizer = new Adam((pair ?? model).trainableVariables, { learningRate, clipNorm: o['clip-norm'], weightDecay: o['weight-decay'] });
    if (optimizerState) optimizer.setState(optimizerState);
    const progress = trainingProgress({ show: !o.quiet && !finished, steps: (epochs - startEpoch) * stepsPerEpoch, firstStep: optimizer.step, epochs });
    const report = {
      out,
      model,
      pair,
      optimizer,
      random,
      training,
      view,
      settings,
      backend: backend.name,
      learningRate,
      train,
      test,
      temperature: o.temperature,
    };
    // ActNorm's data-dependent start, outside the first step's gradient tape (a uniform run's starts in its first step).
    if (pair && !training.resumed && !finished) startFromData(pair, train, o['batch-size'], random);
    if (!finished)
      await fit<RunModel>(pair ?? model, train, {
        epochs: epochs - startEpoch,
        initialEpoch: startEpoch,
        batchSize: o['batch-size'],
        optimizer,
        random,
        validationData: validation,
        reportEvery: 20,
        // A diverging run's advice names this app's flags (scaleTanh is always on here).
        settingNames: { learningRate: '--lr', clipNorm: '--clip-norm' },
        // A continuous flow learns by flow matching (the others by the NLL, fit's default).
        ...(settings.architecture === 'cnf' ? { loss: flowMatchingOn(random) } : {}),
        // A variational run minimises the negative bound, q's noise drawn from the run's generator.
        ...(pair ? { loss: (_: RunModel, batch: Batch) => pair.loss(batch.x, random) } : {}),
        onProgress: progress.update,
        onEpochEnd: epochReporter({ ...report, patience: o.patience, progress }),
      });
    const kept = await finishRun(report);
    optimizer.dispose();
    // A variational run's flow shares the pair's variables: the pair disposes both.
    (pair ?? kept).dispose();
  } finally {
    await runLock.release();
  }
}
