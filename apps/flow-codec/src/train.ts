import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defineOptions, describeOptions, formatDuration, formatRate, parseOptions, ProgressBar, UsageError } from '@flows/cli-kit';
import { Random } from '@flows/core';
import { loadMnist } from '@flows/datasets';
import type { TransformedDistribution } from '@flows/distributions';
import {
  acquireRunLock,
  Adam,
  convIntegerFlow,
  fit,
  integerDiscreteFlow,
  saveModel,
  schedules,
  tensorData,
  TrainingRun,
  TrainingRunError,
  writeFileAtomic,
} from '@flows/flows';

import { BACKEND_OPTIONS, startBackend } from './shared-options.js';
import { initialiseMixtures } from './mixture-initialisation.js';

export const TRAIN_OPTIONS = defineOptions({
  out: { kind: 'string', required: true, description: 'output folder: checkpoint/ after every epoch, model/ at the end, metrics.json' },
  epochs: { kind: 'positiveInteger', default: 2, description: 'epochs over the 60 000 training images' },
  'batch-size': { kind: 'positiveInteger', default: 64, description: 'batch size' },
  layers: { kind: 'positiveInteger', default: 4, description: 'integer additive couplings per level (checkerboard masks, flipped each layer)' },
  levels: {
    kind: 'positiveInteger',
    default: 3,
    description: 'levels: after each but the last, half the pixels are factored out under a mixture conditioned on the other half',
  },
  hidden: { kind: 'integerList', default: [256, 256], description: 'hidden widths of each coupling’s shift network (dense couplings)' },
  architecture: {
    kind: 'string',
    choices: ['dense', 'conv'],
    default: 'dense',
    description:
      'dense: couplings on the 784 pixels with fully connected shift networks, levels halving the pixels; conv: the image architecture of integer discrete flows (squeezes, couplings with convolutional shift networks of --channels, half the channels factored out per level; --levels 1 or 2, 2 unless given)',
  },
  channels: { kind: 'integerList', default: [32, 32], description: 'conv: channels of each coupling’s convolutional shift network' },
  'prior-hidden': { kind: 'integerList', default: [256], description: 'hidden widths of each factor-out prior’s network (with --levels > 1)' },
  components: {
    kind: 'positiveInteger',
    default: 5,
    description: 'discretized logistics per pixel in the base (1: one logistic; more: a mixture, for dark and bright pixels)',
  },
  lr: {
    kind: 'positiveNumber',
    default: 1e-4,
    description: 'Adam learning rate (cosine decay over the run); the couplings move z by 256 × a weight step, so 10⁻³ is too fast',
  },
  'clip-norm': {
    kind: 'positiveNumber',
    description: 'clip the gradient norm (none unless given; the convolutional flow at batch 16 jumped to worse test figures between epochs without it)',
  },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed of the weights and the shuffling' },
  resume: { kind: 'boolean', description: 'continue from <out>/checkpoint (same options; --epochs may grow)' },
  ...BACKEND_OPTIONS,
});

export const TRAIN_HELP = `flow-codec train: train an integer discrete flow (Hoogeboom et al. 2019) on MNIST's 8-bit pixels,
for lossless coding with flow-codec compress. By default 3 levels of 4 integer couplings: after each
level but the last, half the pixels leave under a mixture conditioned on the other half, which goes
on (--levels 1: one level, a factorised base). Checkpoints after every epoch (resume with --resume);
prints the test negative log-likelihood in bits per dimension, the length a code reaches.

Usage: flow-codec train --out DIR [options]

${describeOptions(TRAIN_OPTIONS)}`;

interface TrainRow extends Record<string, unknown> {
  epoch: number;
  trainBpd: number;
  testBpd: number;
  seconds: number;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) return void console.log(TRAIN_HELP);
  const out = o.out;
  const runLock = await acquireRunLock(out, 'flow-codec train');
  try {
    const backendName = await startBackend(o, Number.POSITIVE_INFINITY);
    const [trainSplit, testSplit] = await Promise.all([loadMnist('train'), loadMnist('test')]);
    const trainCount = Math.min(trainSplit.count, o.limit ?? Number.POSITIVE_INFINITY);
    const testCount = Math.min(testSplit.count, o.limit ?? Number.POSITIVE_INFINITY);
    const conv = o.architecture === 'conv';
    const levelsGiven = argv.some((arg) => arg === '--levels' || arg.startsWith('--levels='));
    // 28 × 28 squeezes twice (to 7 × 7): the conv flow's levels are 2 unless given, and at most 2.
    const levels = conv && !levelsGiven ? 2 : o.levels;
    if (conv && levels > 2)
      throw new UsageError(`--levels ${levels}: --architecture conv squeezes 28 × 28 images at most twice (to 7 × 7); use --levels 1 or 2`);
    const settings = {
      // Only conv runs record their architecture, so that runs from before it existed still resume.
      ...(conv ? { architecture: 'conv', channels: o.channels } : {}),
      layers: o.layers,
      // Only multi-level runs record their levels, so that runs from before levels existed still resume.
      ...(levels > 1 ? { levels, priorHidden: o['prior-hidden'] } : {}),
      hidden: o.hidden,
      components: o.components,
      batchSize: o['batch-size'],
      lr: o.lr,
      // Only runs that clip record it, so that runs from before the option still resume.
      ...(o['clip-norm'] !== undefined ? { clipNorm: o['clip-norm'] } : {}),
      epochs: o.epochs,
      limit: o.limit ?? null,
      seed: o.seed,
    };
    const training = await TrainingRun.open<TransformedDistribution, typeof settings, TrainRow>({
      directory: out,
      settings,
      resume: Boolean(o.resume),
      mayChange: ['epochs'],
      settingNames: {
        layers: '--layers',
        levels: '--levels',
        architecture: '--architecture',
        channels: '--channels',
        priorHidden: '--prior-hidden',
        hidden: '--hidden',
        components: '--components',
        batchSize: '--batch-size',
        lr: '--lr',
        clipNorm: '--clip-norm',
        epochs: '--epochs',
        limit: '--limit',
        seed: '--seed',
      },
    }).catch((error: unknown) => {
      if (error instanceof TrainingRunError) throw new UsageError(`--resume: ${error.message}`);
      throw error;
    });
    let flow: TransformedDistribution;
    let random = new Random(o.seed + 1);
    let optimizerState = null;
    if (training.resumed) {
      flow = training.resumed.model;
      optimizerState = training.resumed.optimizerState;
      random = Random.fromState(training.resumed.randomState);
      console.error(`resuming after epoch ${training.startEpoch}`);
    } else if (conv) {
      flow = convIntegerFlow({
        shape: [28, 28, 1],
        levels,
        layers: o.layers,
        hidden: o.channels,
        priorHidden: o['prior-hidden'],
        components: o.components,
        seed: o.seed,
      });
    } else {
      flow = integerDiscreteFlow({
        size: 784,
        layers: o.layers,
        levels,
        hidden: o.hidden,
        priorHidden: o['prior-hidden'],
        mask: 'checkerboard',
        imageShape: [28, 28],
        // One logistic starts near MNIST's pixel statistics (mean about 33, spread about 80); a mixture spreads over 0…255.
        baseLocation: 33,
        baseLogScale: Math.log(40),
        baseComponents: o.components,
        seed: o.seed,
      });
    }
    if (!training.resumed && o.components > 1) initialiseMixtures(flow, Float32Array.from(trainSplit.images.subarray(0, Math.min(trainCount, 5000) * 784)));
    if (training.startEpoch >= o.epochs)
      throw new UsageError(`the checkpoint already has ${training.startEpoch} epochs; pass --epochs greater than that to continue`);
    // The conv flow reads [28, 28, 1] images; the dense one flat rows of 784.
    const pixels = (split: { images: Uint8Array }, count: number) =>
      tf.tensor(Float32Array.from(split.images.subarray(0, count * 784)), [count, ...flow.eventShape]);
    const trainX = pixels(trainSplit, trainCount);
    const testX = pixels(testSplit, testCount);
    const batchSize = o['batch-size'];
    const stepsPerEpoch = Math.ceil(trainCount / batchSize);
    const optimizer = new Adam(flow.trainableVariables, { learningRate: schedules.cosine(o.lr, o.epochs * stepsPerEpoch), clipNorm: o['clip-norm'] });
    if (optimizerState) optimizer.setState(optimizerState);
    const bar = o.quiet ? null : new ProgressBar({ total: (o.epochs - training.startEpoch) * stepsPerEpoch, label: 'train' });
    const firstStep = optimizer.step;
    const bitsPerDim = (nats: number) => nats / 784 / Math.LN2;
    let epochStarted = performance.now();
    await fit(flow, tensorData(trainX), {
      epochs: o.epochs - training.startEpoch,
      initialEpoch: training.startEpoch,
      batchSize,
      optimizer,
      random,
      reportEvery: 20,
      // A diverging run's advice names this app's flags (--lr, --clip-norm; integer couplings have no tanh).
      settingNames: { learningRate: '--lr', clipNorm: '--clip-norm' },
      onProgress: (p) =>
        bar?.update(p.step - firstStep, {
          epoch: `${p.epoch + 1}/${o.epochs}`,
          'bits/dim': bitsPerDim(p.loss).toFixed(3),
          'samples/s': formatRate(p.samplesPerSecond),
          ETA: formatDuration(p.etaSeconds),
        }),
      onEpochEnd: async (info) => {
        const testBpd = testBitsPerDim(flow, testX);
        const row: TrainRow = { epoch: info.epoch, trainBpd: bitsPerDim(info.trainLoss), testBpd, seconds: (performance.now() - epochStarted) / 1000 };
        await training.record(row);
        await training.checkpoint({ model: flow, optimizer, random, epoch: info.epoch });
        await writeFileAtomic(
          join(out, 'metrics.json'),
          `${JSON.stringify({ app: 'flow-codec', backend: backendName, settings, epochs: training.rows }, null, 2)}\n`,
        );
        const line = `epoch ${info.epoch}: train ${row.trainBpd.toFixed(4)}  test ${testBpd.toFixed(4)} bits/dim  (${formatDuration(row.seconds)})`;
        if (bar) bar.finish(line);
        else console.error(line);
        epochStarted = performance.now();
      },
    });
    await saveModel(flow, join(out, 'model'), { app: 'flow-codec', settings });
    const last = training.rows[training.rows.length - 1];
    console.log(`test NLL: ${last.testBpd.toFixed(4)} bits/dim (8-bit MNIST, ${testCount} test images)\nmodel:    ${join(out, 'model')}`);
    tf.dispose([trainX, testX]);
    optimizer.dispose();
    flow.dispose();
  } finally {
    await runLock.release();
  }
}

/** The flow's test NLL in bits per dimension (an integer flow's log-probability is of a mass: no bin width). */
function testBitsPerDim(flow: TransformedDistribution, x: tf.Tensor): number {
  let total = 0;
  for (let start = 0; start < x.shape[0]; start += 1000) {
    const size = Math.min(1000, x.shape[0] - start);
    total += tf.tidy(() => tf.sum(flow.logProb(tf.slice(x, start, size))).dataSync()[0]);
  }
  return -total / (x.shape[0] * 784 * Math.LN2);
}
