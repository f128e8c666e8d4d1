import { denseMultiplyAdds, parseOptions, startBackend, UsageError } from '@flows/cli-kit';
import { acquireRunLock, Adam, fit, schedules } from '@flows/flows';
import { epochReporter, finishRun } from './epoch-report.js';
import { openRun, runSettings, startingPoint } from './mnist-run.js';
import { describeScaling, layoutOf, testData, trainingData, viewFor } from './preprocessing.js';
import { DEFAULT_LOGIT_ALPHA, TRAIN_HELP, TRAIN_OPTIONS, type TrainOptions } from './train-options.js';
import { loadTrainingImages } from './training-images.js';
import { trainingProgress } from './training-progress.js';

export { TRAIN_HELP, TRAIN_OPTIONS };

/** Multiply-adds of a training step's forward pass: whether threads pay (bench/results.md); convolutions always do. */
function workPerStep(o: TrainOptions): number {
  return o.architecture === 'multiscale' ? Number.POSITIVE_INFINITY : 2 * o.layers * denseMultiplyAdds([784, ...o.hidden, 784]) * o['batch-size'];
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
  if (o.patience !== undefined && o.validation === 0) throw new UsageError('--patience needs --validation N (held-out training images to watch)');
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
    console.error(`scaling: ${describeScaling(optionsView)}`);
    const training = await openRun(o, out, runSettings(o, optionsView));
    const settings = training.settings;
    const { model, optimizerState, random, view } = startingPoint(training, o.seed, optionsView);
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
    const train = trainingData(images.train, view, images.validation ? undefined : o.limit, conditional, layout);
    const validation = images.validation ? testData(images.validation, view, 54321, undefined, conditional, layout) : undefined;
    const test = testData(images.test, view, 12345, o.limit, conditional, layout);
    const stepsPerEpoch = Math.ceil(train.size / o['batch-size']);
    // The schedule is a function of the optimizer's step, which the checkpoint restores, so a resumed run follows the same curve.
    const learningRate = o['lr-schedule'] === 'cosine' ? schedules.cosine(o.lr, epochs * stepsPerEpoch) : o.lr;
    const optimizer = new Adam(model.trainableVariables, { learningRate, clipNorm: o['clip-norm'], weightDecay: o['weight-decay'] });
    if (optimizerState) optimizer.setState(optimizerState);
    const progress = trainingProgress({ show: !o.quiet && !finished, steps: (epochs - startEpoch) * stepsPerEpoch, firstStep: optimizer.step, epochs });
    const report = { out, model, optimizer, random, training, view, settings, backend: backend.name, learningRate, train, test, temperature: o.temperature };
    if (!finished)
      await fit(model, train, {
        epochs: epochs - startEpoch,
        initialEpoch: startEpoch,
        batchSize: o['batch-size'],
        optimizer,
        random,
        validationData: validation,
        reportEvery: 20,
        // A diverging run's advice names this app's flags (scaleTanh is always on here).
        settingNames: { learningRate: '--lr', clipNorm: '--clip-norm' },
        onProgress: progress.update,
        onEpochEnd: epochReporter({ ...report, patience: o.patience, progress }),
      });
    const kept = await finishRun(report);
    optimizer.dispose();
    kept.dispose();
  } finally {
    await runLock.release();
  }
}
