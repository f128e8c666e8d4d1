import { Random } from '@flows/bijectors';
import { appWasmThreads, NATIVE_BLAS_OPTION, nativeBlasSetting, describeOptions, formatDuration, formatRate, type OptionSpec, parseOptions, ProgressBar, UsageError } from '@flows/cli-kit';
import { loadMnist } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import {
  Adam,
  type BackendName,
  bitsPerDimension,
  describeBackend,
  fit,
  hasCheckpoint,
  loadCheckpoint,
  meanNegativeLogLikelihood,
  multiScaleFlow,
  realNVP,
  saveCheckpoint,
  saveModel,
  schedules,
  selectBackend,
  writeFileAtomic,
} from '@flows/flows';
import { BACKEND_OPTION, DATA_DIR_OPTION, THREADS_OPTION } from './options.js';
import { writeSampleGrid } from './pictures.js';
import { bin, describeScaling, layoutOf, testData, trainingData, viewFor } from './preprocessing.js';

export const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  out: { kind: 'string', required: true, description: 'run directory (checkpoint/, model/, metrics.json, samples-*.png)' },
  mask: { kind: 'string', choices: ['random', 'checkerboard'], default: 'checkerboard', description: 'random half per layer (drawn once, saved) or the Real NVP checkerboard, inverted each layer' },
  layers: { kind: 'positiveInteger', default: 6, description: 'coupling layers' },
  hidden: { kind: 'integerList', default: [256, 256], description: 'hidden widths of the scale and translation networks (tanh ends the scale network)' },
  epochs: { kind: 'positiveInteger', default: 3, description: 'epochs over the 60 000 training images' },
  'batch-size': { kind: 'positiveInteger', default: 256, description: 'batch size' },
  lr: { kind: 'positiveNumber', default: 1e-3, description: 'Adam learning rate' },
  'lr-schedule': { kind: 'string', choices: ['constant', 'cosine'], default: 'constant', description: 'constant, or cosine decay to lr/100 over all --epochs (for long runs)' },
  'clip-norm': { kind: 'positiveNumber', default: 100, description: 'clip the gradient norm' },
  'weight-decay': { kind: 'number', default: 0, description: 'decoupled weight decay (AdamW); the fully connected flows overfit MNIST on long runs' },
  'fixed-scale': { kind: 'boolean', description: 'plain s = tanh(raw), without the learnable per-pixel factor on the scale' },
  logit: { kind: 'positiveNumber', description: 'logit preprocessing with this alpha (e.g. 0.05); (v + U)/256 scaling, log-det counted' },
  temperature: { kind: 'positiveNumber', default: 0.7, description: 'temperature of the sample grids' },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images (quick runs)' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed for masks, weights, shuffles and noise' },
  resume: { kind: 'boolean', description: 'continue from <out>/checkpoint (same options as the first run)' },
  architecture: {
    kind: 'string',
    choices: ['coupling', 'multiscale'],
    default: 'coupling',
    description: 'fully connected couplings (exercise 2.5), or a multi-scale Glow (squeezes, ActNorm, 1x1 convolutions, convolutional couplings, factor-out)',
  },
  'steps-per-level': { kind: 'positiveInteger', default: 4, description: 'multiscale: flow steps per level (2 levels: 28x28x1 → 14x14x4 → 7x7x8)' },
  channels: { kind: 'integerList', default: [32, 32], description: 'multiscale: channels of the convolutional conditioners' },
  conditional: { kind: 'boolean', description: 'a class-conditional flow: the one-hot digit label is the context of every coupling; grids show one row per digit' },
  'data-dir': DATA_DIR_OPTION,
  backend: BACKEND_OPTION,
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
  quiet: { kind: 'boolean', description: 'no progress bar' },
};

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
  seconds: number;
  samplesPerSecond: number;
  /** The learning rate of the epoch's last update. */
  learningRate: number;
}

export async function train(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) {
    console.log(TRAIN_HELP);
    return;
  }
  if ((o['weight-decay'] as number) < 0) throw new UsageError(`--weight-decay must be at least 0, got ${o['weight-decay']}`);
  const { join } = await import('node:path');
  const out = o.out as string;
  const checkpointDir = join(out, 'checkpoint');
  const backend = await selectBackend({ backend: o.backend as BackendName | 'auto', wasmThreads: await appWasmThreads(o.threads), nativeBlas: nativeBlasSetting(o['native-blas']) });
  console.error(describeBackend(backend));
  const view = viewFor(o.logit as number | undefined);
  if (view.kind === 'logit' && !(view.alpha < 0.5)) throw new UsageError(`--logit must be in (0, 0.5), got ${view.alpha}`);
  const [trainSplit, testSplit] = await Promise.all([loadMnist('train', { dataDir: o['data-dir'] as string | undefined }), loadMnist('test', { dataDir: o['data-dir'] as string | undefined })]);
  const limit = o.limit as number | undefined;
  const settings = { scaleFactor: !o['fixed-scale'], mask: o.mask, layers: o.layers, hidden: o.hidden, epochs: o.epochs, batchSize: o['batch-size'], learningRate: o.lr, lrSchedule: o['lr-schedule'], clipNorm: o['clip-norm'], weightDecay: o['weight-decay'], logit: o.logit ?? null, seed: o.seed, limit: limit ?? null, conditional: Boolean(o.conditional), architecture: o.architecture, stepsPerLevel: o.architecture === 'multiscale' ? o['steps-per-level'] : null, channels: o.architecture === 'multiscale' ? o.channels : null };
  console.error(`data: ${trainSplit.count} train / ${testSplit.count} test images from ${trainSplit.source}${limit ? ` (first ${limit} used)` : ''}`);
  console.error(`scaling: ${describeScaling(view)}`);

  let model: Distribution;
  let optimizerState = null;
  let random = new Random((o.seed as number) + 1);
  let startEpoch = 0;
  let rows: EpochRow[] = [];
  if (o.resume) {
    if (!(await hasCheckpoint(checkpointDir))) throw new UsageError(`--resume: no checkpoint in ${checkpointDir}`);
    const checkpoint = await loadCheckpoint(checkpointDir);
    model = checkpoint.model;
    optimizerState = checkpoint.optimizerState;
    random = Random.fromState(checkpoint.randomState);
    startEpoch = checkpoint.epoch;
    rows = (checkpoint.extra.rows as EpochRow[]) ?? [];
    if (JSON.stringify(checkpoint.extra.settings) !== JSON.stringify({ ...settings, epochs: (checkpoint.extra.settings as { epochs: number }).epochs })) {
      console.error('note: options differ from the checkpointed run; the checkpoint defines the model, these options the rest');
    }
    console.error(`resuming after epoch ${startEpoch} (step ${optimizerState.step})`);
  } else {
    model =
      o.architecture === 'multiscale'
        ? multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: o['steps-per-level'] as number, hidden: o.channels as number[], contextSize: o.conditional ? 10 : 0, seed: o.seed as number })
        : realNVP({ dims: 784, layers: o.layers as number, hidden: o.hidden as number[], mask: o.mask as 'random', imageShape: [28, 28], scaleTanh: true, learnableScaleFactor: !o['fixed-scale'], seed: o.seed as number, contextSize: o.conditional ? 10 : 0 });
  }
  const epochs = o.epochs as number;
  if (startEpoch >= epochs) throw new UsageError(`the checkpoint already has ${startEpoch} epochs; pass --epochs greater than that to continue`);
  const batchSize = o['batch-size'] as number;
  const conditional = model.contextSize > 0;
  const train = trainingData(trainSplit, view, limit, conditional, layoutOf(model));
  const test = testData(testSplit, view, 12345, limit, conditional, layoutOf(model));
  const stepsPerEpoch = Math.ceil(train.size / batchSize);
  // The schedule is a function of the optimizer's step, which the checkpoint restores, so a resumed run follows the same curve.
  const learningRate = o['lr-schedule'] === 'cosine' ? schedules.cosine(o.lr as number, epochs * stepsPerEpoch) : (o.lr as number);
  const optimizer = new Adam(model.trainableVariables, { learningRate, clipNorm: o['clip-norm'] as number, weightDecay: o['weight-decay'] as number });
  if (optimizerState) optimizer.setState(optimizerState);
  const bar = o.quiet ? null : new ProgressBar({ total: (epochs - startEpoch) * stepsPerEpoch, label: 'train' });
  const firstStep = optimizer.step;
  let epochStarted = performance.now();
  await fit(model, train, {
    epochs: epochs - startEpoch,
    initialEpoch: startEpoch,
    batchSize,
    optimizer,
    random,
    reportEvery: 20,
    onProgress: (p) =>
      bar?.update(p.step - firstStep, { epoch: `${p.epoch + 1}/${epochs}`, loss: p.loss.toFixed(1), 'samples/s': formatRate(p.samplesPerSecond), ETA: formatDuration(p.etaSeconds) }),
    onEpochEnd: async (info) => {
      const seconds = (performance.now() - epochStarted) / 1000;
      const testNll = meanNegativeLogLikelihood(model, test, { batchSize: 500 });
      const row: EpochRow = {
        epoch: info.epoch,
        trainNll: info.trainLoss,
        testNll,
        testBpd: bitsPerDimension(testNll, 784, bin(view)),
        seconds,
        samplesPerSecond: train.size / info.seconds,
        learningRate: typeof learningRate === 'number' ? learningRate : learningRate(optimizer.step),
      };
      rows.push(row);
      await writeSampleGrid(model, view, join(out, `samples-epoch-${info.epoch}.png`), { temperature: o.temperature as number, seed: 1 });
      await saveCheckpoint(checkpointDir, { model, optimizerState: optimizer.getState(), randomState: random.getState(), epoch: info.epoch, extra: { rows, settings } });
      await writeMetrics(out, rows, settings, backend.name, describeScaling(view));
      const line = `epoch ${info.epoch}: train NLL ${row.trainNll.toFixed(1)}  test NLL ${testNll.toFixed(1)} nats  test bpd ${row.testBpd.toFixed(4)}  (${formatDuration(seconds)})`;
      if (bar) bar.finish(line);
      else console.error(line);
      epochStarted = performance.now();
    },
  });
  await saveModel(model, join(out, 'model'), { app: 'mnist-flow', view, settings });
  const grid = join(out, 'samples.png');
  await writeSampleGrid(model, view, grid, { temperature: o.temperature as number, seed: 2 });
  console.log(summaryTable(rows));
  const last = rows[rows.length - 1];
  console.log(`\ntest bpd:  ${last.testBpd.toFixed(4)} (${describeScaling(view)})\nsamples:   ${grid} (temperature ${o.temperature})\nmodel:     ${join(out, 'model')}\nmetrics:   ${join(out, 'metrics.json')}\nbackend:   ${backend.name}`);
  optimizer.dispose();
  model.dispose();
}

async function writeMetrics(out: string, rows: EpochRow[], settings: Record<string, unknown>, backend: string, scaling: string): Promise<void> {
  const { join } = await import('node:path');
  await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify({ app: 'mnist-flow', scaling, backend, settings, epochs: rows }, null, 2)}\n`);
}

export function summaryTable(rows: EpochRow[]): string {
  const header = '| epoch | train NLL (nats) | test NLL (nats) | test bpd | seconds | samples/s |\n|---|---|---|---|---|---|';
  return [header, ...rows.map((r) => `| ${r.epoch} | ${r.trainNll.toFixed(1)} | ${r.testNll.toFixed(1)} | ${r.testBpd.toFixed(4)} | ${r.seconds.toFixed(0)} | ${formatRate(r.samplesPerSecond)} |`)].join('\n');
}
