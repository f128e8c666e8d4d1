import { Random } from '@flows/core';
import {
  appWasmThreads,
  denseMultiplyAdds,
  describeOptions,
  formatDuration,
  formatRate,
  parseOptions,
  ProgressBar,
  UsageError,
  defineOptions,
  NATIVE_BLAS_OPTION,
  NO_NATIVE_OPTION,
  nativeBlasSetting,
} from '@flows/cli-kit';
import { loadMnist } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import {
  acquireRunLock,
  Adam,
  bitsPerDimension,
  describeBackend,
  fit,
  meanNegativeLogLikelihoodAsync,
  multiScaleFlow,
  realNVP,
  saveModel,
  schedules,
  selectBackend,
  TrainingRun,
  TrainingRunError,
  writeFileAtomic,
} from '@flows/flows';
import { checkImageSize } from './trained-model.js';
import { BACKEND_OPTION, DATA_DIR_OPTION, THREADS_OPTION } from './options.js';
import { writeEpochCurves, writeSampleGrid } from './pictures.js';
import { bin, describeScaling, holdOut, layoutOf, testData, trainingData, viewFor } from './preprocessing.js';

/** The logit preprocessing's α of the default run: Real NVP's and MAF's published MNIST setting. */
const DEFAULT_LOGIT_ALPHA = 0.000001;

export const TRAIN_OPTIONS = defineOptions({
  out: { kind: 'string', required: true, description: 'run directory (checkpoint/, model/, metrics.json, samples-*.png)' },
  mask: {
    kind: 'string',
    choices: ['random', 'checkerboard'],
    default: 'checkerboard',
    description: 'random half per layer (drawn once, saved) or the Real NVP checkerboard, inverted each layer',
  },
  layers: { kind: 'positiveInteger', default: 6, description: 'coupling layers' },
  hidden: { kind: 'integerList', default: [256, 256], description: 'hidden widths of the scale and translation networks (tanh ends the scale network)' },
  epochs: { kind: 'positiveInteger', default: 3, description: 'epochs over the 60 000 training images' },
  'batch-size': { kind: 'positiveInteger', default: 256, description: 'batch size' },
  lr: { kind: 'positiveNumber', default: 1e-3, description: 'Adam learning rate' },
  'lr-schedule': { kind: 'string', choices: ['constant', 'cosine'], default: 'cosine', description: 'cosine decay to lr/100 over all --epochs, or constant' },
  'clip-norm': { kind: 'positiveNumber', default: 100, description: 'clip the gradient norm' },
  'weight-decay': { kind: 'number', default: 0, description: 'decoupled weight decay (AdamW); the fully connected flows overfit MNIST on long runs' },
  'fixed-scale': { kind: 'boolean', description: 'plain s = tanh(raw), without the learnable per-pixel factor on the scale' },
  logit: {
    kind: 'positiveNumber',
    description: `the logit preprocessing of the published figures with this alpha (default ${DEFAULT_LOGIT_ALPHA}): x = (v + U)/256, y = logit(alpha + (1 - 2 alpha) x), log-det counted`,
  },
  'exercise-scaling': { kind: 'boolean', description: "the exercise's dequantization x = v/255 + U/255 instead of the logit (bpd with log 255)" },
  temperature: { kind: 'positiveNumber', default: 0.7, description: 'temperature of the sample grids' },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images (quick runs)' },
  validation: {
    kind: 'nonNegativeInteger',
    default: 0,
    description:
      "hold out the last N training images, score them after every epoch, and keep the best epoch's weights in <out>/best-model (and at the end in <out>/model): early stopping without looking at the test set",
  },
  patience: { kind: 'positiveInteger', description: 'with --validation: stop after this many epochs without a better validation bpd' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed for masks, weights, shuffles and noise' },
  resume: { kind: 'boolean', description: 'continue from <out>/checkpoint (same options as the first run; a finished run gets its missing final outputs)' },
  'allow-option-changes': {
    kind: 'boolean',
    description:
      'with --resume: continue although options differ from the checkpointed run (the checkpoint keeps its model and preprocessing; the other options apply from here on)',
  },
  architecture: {
    kind: 'string',
    choices: ['coupling', 'multiscale'],
    default: 'coupling',
    description: 'fully connected couplings (exercise 2.5), or a multi-scale Glow (squeezes, ActNorm, 1x1 convolutions, convolutional couplings, factor-out)',
  },
  'steps-per-level': { kind: 'positiveInteger', default: 4, description: 'multiscale: flow steps per level (2 levels: 28x28x1 → 14x14x4 → 7x7x8)' },
  channels: { kind: 'integerList', default: [32, 32], description: 'multiscale: channels of the convolutional conditioners' },
  conditional: {
    kind: 'boolean',
    description: 'a class-conditional flow: the one-hot digit label is the context of every coupling; grids show one row per digit',
  },
  'data-dir': DATA_DIR_OPTION,
  backend: BACKEND_OPTION,
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
  'no-native': NO_NATIVE_OPTION,
  quiet: { kind: 'boolean', description: 'no progress bar' },
});

export const TRAIN_HELP = `mnist-flow train: Real NVP with fully connected couplings on dequantized MNIST (exercise 2.5),
or (--architecture multiscale) a multi-scale Glow with convolutional couplings.
After every epoch: the test bits per dimension on all test images (fixed noise), an 8 x 8 sample
grid, a checkpoint (atomic), and metrics.json. --resume continues a killed run.

Usage: mnist-flow train --out <dir> [options]

${describeOptions(TRAIN_OPTIONS)}`;

interface EpochRow {
  epoch: number;
  trainNll: number;
  testBpd: number;
  testNll: number;
  /** Bits per dimension on the held-out training images (with --validation). */
  validationBpd?: number;
  seconds: number;
  samplesPerSecond: number;
  /** The learning rate of the epoch's last update. */
  learningRate: number;
}

/** The settings that define the model and its preprocessing (the rest steer the training). */
const MODEL_SETTINGS = ['scaleFactor', 'mask', 'layers', 'hidden', 'logit', 'conditional', 'architecture', 'stepsPerLevel', 'channels'] as const;

/** The option behind each setting, for messages. */
const SETTING_OPTIONS: Record<string, string> = {
  scaleFactor: '--fixed-scale',
  mask: '--mask',
  layers: '--layers',
  hidden: '--hidden',
  batchSize: '--batch-size',
  learningRate: '--lr',
  lrSchedule: '--lr-schedule',
  clipNorm: '--clip-norm',
  weightDecay: '--weight-decay',
  logit: '--logit',
  seed: '--seed',
  limit: '--limit',
  validation: '--validation',
  conditional: '--conditional',
  architecture: '--architecture',
  stepsPerLevel: '--steps-per-level',
  channels: '--channels',
};

export async function train(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) {
    console.log(TRAIN_HELP);
    return;
  }
  if (o['weight-decay'] < 0) throw new UsageError(`--weight-decay must be at least 0, got ${o['weight-decay']}`);
  const validationCount = o.validation;
  if (o.patience !== undefined && validationCount === 0) throw new UsageError('--patience needs --validation N (held-out training images to watch)');
  const { join } = await import('node:path');
  const out = o.out;
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(out, 'mnist-flow train', undefined, { outputs: [/^samples(-epoch-\d+)?\.png$/, 'training.png'] });
  try {
    // A step's matrix work decides whether wasm threads pay (bench/results.md); convolutions always do.
    const work = o.architecture === 'multiscale' ? Infinity : 2 * o.layers * denseMultiplyAdds([784, ...o.hidden, 784]) * o['batch-size'];
    // The fast CPU path by default: OpenBLAS on wasm whenever the addon loads (pnpm install builds it where it can).
    const nativeBlas = nativeBlasSetting(o['native-blas'], o['no-native'], o.backend);
    const backend = await selectBackend({ backend: o.backend, wasmThreads: await appWasmThreads(o.threads, work), nativeBlas });
    console.error(describeBackend(backend));
    if (o['exercise-scaling'] && o.logit !== undefined) throw new UsageError('--exercise-scaling and --logit are two preprocessings: choose one');
    let view = viewFor(o['exercise-scaling'] ? undefined : (o.logit ?? DEFAULT_LOGIT_ALPHA));
    if (view.kind === 'logit' && !(view.alpha < 0.5)) throw new UsageError(`--logit must be in (0, 0.5), got ${view.alpha}`);
    const [allTraining, testSplit] = await Promise.all([loadMnist('train', { dataDir: o['data-dir'] }), loadMnist('test', { dataDir: o['data-dir'] })]);
    for (const images of [allTraining, testSplit]) checkImageSize(images, images.source);
    const limit = o.limit;
    const trainingCount = Math.min(allTraining.count, limit ?? allTraining.count);
    if (validationCount >= trainingCount) throw new UsageError(`--validation ${validationCount} leaves no training images (${trainingCount} available)`);
    // Held out from the end of the (limited) training images; the limit then applies to neither part again.
    const split = validationCount > 0 ? holdOut({ ...allTraining, count: trainingCount }, validationCount) : null;
    const trainSplit = split?.train ?? allTraining;
    let settings = {
      scaleFactor: !o['fixed-scale'],
      mask: o.mask,
      layers: o.layers,
      hidden: o.hidden,
      epochs: o.epochs,
      batchSize: o['batch-size'],
      learningRate: o.lr,
      lrSchedule: o['lr-schedule'],
      clipNorm: o['clip-norm'],
      weightDecay: o['weight-decay'],
      logit: view.kind === 'logit' ? view.alpha : null,
      seed: o.seed,
      limit: limit ?? null,
      validation: validationCount,
      conditional: Boolean(o.conditional),
      architecture: o.architecture,
      stepsPerLevel: o.architecture === 'multiscale' ? o['steps-per-level'] : null,
      channels: o.architecture === 'multiscale' ? o.channels : null,
    };
    console.error(
      `data: ${allTraining.count} train / ${testSplit.count} test images from ${allTraining.source}${limit ? ` (first ${limit} used)` : ''}${split ? `; the last ${validationCount} training images held out for validation` : ''}`,
    );
    console.error(`scaling: ${describeScaling(view)}`);

    let model: Distribution;
    let optimizerState = null;
    let random = new Random(o.seed + 1);
    const training = await TrainingRun.open<Distribution, typeof settings, EpochRow>({
      directory: out,
      settings,
      resume: Boolean(o.resume),
      mayChange: ['epochs'],
      settingNames: SETTING_OPTIONS,
      // With --allow-option-changes the checkpoint defines the model and its preprocessing; metrics.json and model/ say so.
      onSettingChanges: o['allow-option-changes'] ? 'keep-checkpoint' : 'refuse',
      checkpointWins: MODEL_SETTINGS,
    }).catch((error: unknown) => {
      if (!(error instanceof TrainingRunError)) throw error;
      const advice =
        error.differences.length > 0
          ? "; give them as they were, or add --allow-option-changes to continue the checkpoint's model with the new training options"
          : '';
      throw new UsageError(`--resume: ${error.message}${advice}`);
    });
    settings = training.settings;
    const rows = training.rows;
    const startEpoch = training.startEpoch;
    if (training.resumed) {
      const checkpoint = training.resumed;
      model = checkpoint.model;
      optimizerState = checkpoint.optimizerState;
      random = Random.fromState(checkpoint.randomState);
      if (training.settingChanges.length > 0) {
        view = viewFor(settings.logit ?? undefined);
        console.error(`note: continuing with changed options (${training.settingChanges.join(', ')}); the model and preprocessing stay the checkpoint's`);
      }
      console.error(`resuming after epoch ${startEpoch} (step ${optimizerState.step})`);
    } else {
      model =
        o.architecture === 'multiscale'
          ? multiScaleFlow({
              shape: [28, 28, 1],
              levels: 2,
              stepsPerLevel: o['steps-per-level'],
              hidden: o.channels,
              contextSize: o.conditional ? 10 : 0,
              seed: o.seed,
            })
          : realNVP({
              size: 784,
              layers: o.layers,
              hidden: o.hidden,
              mask: o.mask,
              imageShape: [28, 28],
              scaleTanh: true,
              learnableScaleFactor: !o['fixed-scale'],
              seed: o.seed,
              contextSize: o.conditional ? 10 : 0,
            });
    }
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
    const batchSize = o['batch-size'];
    const conditional = model.contextSize > 0;
    const train = trainingData(trainSplit, view, split ? undefined : limit, conditional, layoutOf(model));
    const validation = split ? testData(split.validation, view, 54321, undefined, conditional, layoutOf(model)) : undefined;
    const test = testData(testSplit, view, 12345, limit, conditional, layoutOf(model));
    const stepsPerEpoch = Math.ceil(train.size / batchSize);
    // The schedule is a function of the optimizer's step, which the checkpoint restores, so a resumed run follows the same curve.
    const learningRate = o['lr-schedule'] === 'cosine' ? schedules.cosine(o.lr, epochs * stepsPerEpoch) : o.lr;
    const optimizer = new Adam(model.trainableVariables, { learningRate, clipNorm: o['clip-norm'], weightDecay: o['weight-decay'] });
    if (optimizerState) optimizer.setState(optimizerState);
    const bar = o.quiet || finished ? null : new ProgressBar({ total: (epochs - startEpoch) * stepsPerEpoch, label: 'train' });
    const firstStep = optimizer.step;
    let epochStarted = performance.now();
    if (!finished)
      await fit(model, train, {
        epochs: epochs - startEpoch,
        initialEpoch: startEpoch,
        batchSize,
        optimizer,
        random,
        validationData: validation,
        reportEvery: 20,
        // A diverging run's advice names this app's flags (scaleTanh is always on here).
        settingNames: { learningRate: '--lr', clipNorm: '--clip-norm' },
        onProgress: (p) =>
          bar?.update(p.step - firstStep, {
            epoch: `${p.epoch + 1}/${epochs}`,
            loss: p.loss.toFixed(1),
            'samples/s': formatRate(p.samplesPerSecond),
            ETA: formatDuration(p.etaSeconds),
          }),
        onEpochEnd: async (info) => {
          const seconds = (performance.now() - epochStarted) / 1000;
          const testNll = await meanNegativeLogLikelihoodAsync(model, test, { batchSize: 500 });
          const row: EpochRow = {
            epoch: info.epoch,
            trainNll: info.trainLoss,
            testNll,
            testBpd: bitsPerDimension(testNll, 784, bin(view)),
            seconds,
            samplesPerSecond: train.size / info.seconds,
            learningRate: typeof learningRate === 'number' ? learningRate : learningRate(optimizer.step),
            ...(info.validationLoss !== null ? { validationBpd: bitsPerDimension(info.validationLoss, 784, bin(view)) } : {}),
          };
          // The best model by validation bpd is saved before the checkpoint: a run killed between the two redoes this epoch.
          await training.record(row, { model, score: validationScore, metadata: { app: 'mnist-flow', view, settings, epoch: info.epoch } });
          await writeSampleGrid(model, view, join(out, `samples-epoch-${info.epoch}.png`), {
            temperature: o.temperature,
            seed: 1,
            title: `samples after epoch ${info.epoch}`,
          });
          await training.checkpoint({ model, optimizer, random, epoch: info.epoch });
          await writeMetrics(out, rows, settings, backend.name, describeScaling(view));
          await writeEpochCurves(join(out, 'training.png'), rows, bin(view));
          const validationText =
            row.validationBpd !== undefined ? `  validation bpd ${row.validationBpd.toFixed(4)}${training.best(validationScore) === row ? ' (best)' : ''}` : '';
          const line = `epoch ${info.epoch}: train NLL ${row.trainNll.toFixed(1)}  test NLL ${testNll.toFixed(1)} nats  test bpd ${row.testBpd.toFixed(4)}${validationText}  (${formatDuration(seconds)})`;
          if (bar) bar.finish(line);
          else console.error(line);
          epochStarted = performance.now();
          if (training.patienceExhausted(validationScore, o.patience)) {
            const best = training.best(validationScore)!;
            console.error(`stopping early: no better validation bpd for ${o.patience} epochs (best ${best.validationBpd!.toFixed(4)} at epoch ${best.epoch})`);
            return false;
          }
        },
      });
    const best = training.best(validationScore);
    if (best && best !== rows[rows.length - 1]) {
      model.dispose();
      model = await training.loadBestModel();
      console.error(`the model of epoch ${best.epoch} (best validation bpd) is kept`);
    }
    await saveModel(model, join(out, 'model'), { app: 'mnist-flow', view, settings, ...(best ? { epoch: best.epoch } : {}) });
    const grid = join(out, 'samples.png');
    await writeSampleGrid(model, view, grid, { temperature: o.temperature, seed: 2 });
    console.log(summaryTable(rows, best));
    const last = best ?? rows[rows.length - 1];
    console.log(
      `\ntest bpd:  ${last.testBpd.toFixed(4)}${best ? ` (epoch ${best.epoch}, best validation bpd ${best.validationBpd!.toFixed(4)})` : ''} (${describeScaling(view)})\nsamples:   ${grid} (temperature ${o.temperature})\nmodel:     ${join(out, 'model')}\nmetrics:   ${join(out, 'metrics.json')}, curves ${join(out, 'training.png')}\nbackend:   ${backend.name}`,
    );
    optimizer.dispose();
    model.dispose();
  } finally {
    await runLock.release();
  }
}

/** What picks the best epoch: the validation bpd (rows without one, when validation is off, do not count). */
function validationScore(row: EpochRow): number | undefined {
  return row.validationBpd;
}

async function writeMetrics(out: string, rows: EpochRow[], settings: Record<string, unknown>, backend: string, scaling: string): Promise<void> {
  const { join } = await import('node:path');
  await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify({ app: 'mnist-flow', scaling, backend, settings, epochs: rows }, null, 2)}\n`);
}

/** The epochs as a Markdown table, the best one (by validation bpd) marked. */
export function summaryTable(rows: EpochRow[], best: EpochRow | undefined): string {
  const withValidation = rows.some((r) => r.validationBpd !== undefined);
  const header = `| epoch | train NLL (nats) | test NLL (nats) | test bpd |${withValidation ? ' validation bpd |' : ''} seconds | samples/s |\n|---|---|---|---|${withValidation ? '---|' : ''}---|---|`;
  const line = (r: EpochRow) =>
    `| ${r.epoch} | ${r.trainNll.toFixed(1)} | ${r.testNll.toFixed(1)} | ${r.testBpd.toFixed(4)} |${withValidation ? ` ${r.validationBpd?.toFixed(4) ?? ''}${r === best ? ' (best)' : ''} |` : ''} ${r.seconds.toFixed(0)} | ${formatRate(r.samplesPerSecond)} |`;
  return [header, ...rows.map(line)].join('\n');
}
