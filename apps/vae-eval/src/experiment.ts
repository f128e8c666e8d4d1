import * as tf from '@tensorflow/tfjs-core';
import { Random, type RandomState } from '@flows/core';
import {
  curvesFigure,
  type FigureSpec,
  formatDuration,
  formatRate,
  imageGridFigure,
  pointsFigure,
  ProgressBar,
  type Range2D,
  writeFigure,
} from '@flows/cli-kit';
import { type Binarization, imageBatches, type MnistSplit } from '@flows/datasets';
import { Adam, fit, hasCheckpoint, type TrainingData, TrainingRun, writeFileAtomic } from '@flows/flows';
import { buildVAE, type PriorKind, type VAE, vaeFromJSON } from '@flows/vae-priors';
import { fitPca, project } from './pca.js';
import { checkImageSize, checkResumedEpochs, checkVaeCheckpoint } from './vae-checkpoint.js';

export interface ExperimentSettings {
  latent: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  iwSamples: number;
  limit?: number;
  seed: number;
  quiet: boolean;
  /** How the images were binarized; absent: `threshold`. */
  binarization?: Binarization;
}

export interface RunResult {
  prior: PriorKind;
  run: number;
  testElbo: number;
  testIwae: number;
  iwSamples: number;
  trainLoss: number;
  seconds: number;
}

function binarizedTraining(data: MnistSplit, limit?: number): TrainingData {
  return {
    size: Math.min(data.count, limit ?? data.count),
    *batches(batchSize, random) {
      for (const batch of imageBatches(data, { batchSize, view: { kind: 'binarized' }, random, limit })) yield { x: batch.x };
    },
  };
}

function testBatches(data: MnistSplit, batchSize: number, limit?: number) {
  return imageBatches(data, { batchSize, view: { kind: 'binarized' }, shuffle: false, limit });
}

/**
 * Mean test ELBO (one sample of z per image) and mean IWAE estimate over the test images; with a
 * label, a progress bar (k = 1000 over 10 000 images is minutes of work).
 */
export async function evaluate(vae: VAE, test: MnistSplit, iwSamples: number, limit?: number, label?: string): Promise<{ elbo: number; iwae: number }> {
  checkImageSize(test, vae.encoder.inputSize);
  // Separate noise for the two estimates, so that the ELBO does not depend on k.
  const elboRandom = new Random(777);
  const iwaeRandom = new Random(778);
  const batchSize = 200;
  const images = Math.min(test.count, limit ?? test.count);
  const bar = label === undefined ? null : new ProgressBar({ total: Math.ceil(images / batchSize), label: `${label} eval k=${iwSamples}` });
  const started = performance.now();
  let elbo = 0;
  let iwae = 0;
  let count = 0;
  let step = 0;
  for (const batch of testBatches(test, batchSize, limit)) {
    const x = batch.x as tf.Tensor2D;
    const [elboSum, iwaeSum] = tf.tidy(() => {
      const terms = vae.elbo(x, { random: elboRandom });
      const iw = vae.importanceWeightedLogLikelihood(x, iwSamples, { random: iwaeRandom, chunk: 25 });
      return [tf.sum(terms.elbo), tf.sum(iw)];
    });
    // Asynchronous read-backs: WebGPU in Node cannot read synchronously.
    elbo += (await elboSum.data())[0];
    iwae += (await iwaeSum.data())[0];
    count += x.shape[0];
    tf.dispose([elboSum, iwaeSum]);
    step++;
    const seconds = (performance.now() - started) / 1000;
    bar?.update(step, { IWAE: (iwae / count).toFixed(2), 'images/s': formatRate(count / seconds), ETA: formatDuration((seconds / count) * (images - count)) });
  }
  bar?.finish();
  return { elbo: elbo / count, iwae: iwae / count };
}

/**
 * Trains one VAE with one prior in `runDirectory`, checkpointing after every epoch (model,
 * optimizer, the shuffling and the noise generators, the loss history); with `resume`, continues
 * from the checkpoint there when there is one.
 */
export async function trainOne(
  prior: PriorKind,
  run: number,
  train: MnistSplit,
  test: MnistSplit,
  settings: ExperimentSettings,
  runDirectory: string,
  resume = false,
): Promise<{ vae: VAE; result: RunResult }> {
  const seed = settings.seed + 1000 * run;
  if (resume) {
    const { join } = await import('node:path');
    const checkpointDirectory = join(runDirectory, 'checkpoint');
    if (await hasCheckpoint(checkpointDirectory))
      checkResumedEpochs(checkpointDirectory, (await checkVaeCheckpoint(checkpointDirectory)).epoch, settings.epochs);
  }
  // The mean training loss (negative ELBO) every 50 steps, kept in the checkpoint across resumes.
  const training = await TrainingRun.open<VAE, Record<string, unknown>, { step: number; loss: number }>({
    directory: runDirectory,
    settings: { prior, latent: settings.latent, batchSize: settings.batchSize, learningRate: settings.learningRate, limit: settings.limit ?? null, seed },
    resume: resume ? 'if-present' : false,
    rowsKey: 'history',
    rebuild: vaeFromJSON,
  });
  const checkpoint = training.resumed;
  const vae = checkpoint?.model ?? buildVAE({ prior, latentSize: settings.latent, seed });
  for (const images of [train, test]) {
    try {
      checkImageSize(images, vae.encoder.inputSize);
    } catch (error) {
      vae.dispose();
      throw error;
    }
  }
  const optimizer = new Adam(vae.trainableVariables, { learningRate: settings.learningRate });
  if (checkpoint) optimizer.setState(checkpoint.optimizerState);
  const shuffleRandom = checkpoint ? Random.fromState(checkpoint.randomState) : new Random(seed + 2);
  const savedNoise = training.saved<RandomState>('noiseRandom');
  const noiseRandom = savedNoise ? Random.fromState(savedNoise) : new Random(seed + 1);
  const startEpoch = training.startEpoch;
  const history = training.rows;
  const data = binarizedTraining(train, settings.limit);
  const bar = settings.quiet ? null : new ProgressBar({ total: settings.epochs * Math.ceil(data.size / settings.batchSize), label: `${prior} run ${run + 1}` });
  const started = performance.now();
  const fitted = await fit(vae, data, {
    epochs: Math.max(0, settings.epochs - startEpoch),
    initialEpoch: startEpoch,
    batchSize: settings.batchSize,
    optimizer,
    random: shuffleRandom,
    reportEvery: 50,
    // A diverging run's advice names this app's flag; vae-eval has no gradient clip to offer.
    settingNames: { learningRate: '--lr' },
    loss: (model: VAE, batch) => model.loss(batch.x as tf.Tensor2D, noiseRandom),
    onProgress: (p) => {
      history.push({ step: p.step, loss: p.loss });
      bar?.update(p.step, { loss: p.loss.toFixed(2), 'samples/s': formatRate(p.samplesPerSecond), ETA: formatDuration(p.etaSeconds) });
    },
    onEpochEnd: async (info) => {
      await training.checkpoint({ model: vae, optimizer, random: shuffleRandom, epoch: info.epoch, extra: { noiseRandom: noiseRandom.getState() } });
    },
  });
  bar?.finish();
  if (history.length > 0) {
    const { join } = await import('node:path');
    const figure = curvesFigure({
      title: `VAE with the ${prior} prior, run ${run + 1}: training`,
      xTitle: 'step',
      panels: [
        {
          title: 'negative ELBO (mean over the last 50 steps)',
          yTitle: 'nats per image',
          curves: [{ name: 'train', points: history.map((h) => ({ x: h.step, y: h.loss })) }],
        },
      ],
    });
    await writeFigure(join(runDirectory, 'training'), figure, writeFileAtomic);
  }
  optimizer.dispose();
  const { elbo, iwae } = await evaluate(vae, test, settings.iwSamples, settings.limit, settings.quiet ? undefined : `${prior} run ${run + 1}`);
  return {
    vae,
    result: {
      prior,
      run,
      testElbo: elbo,
      testIwae: iwae,
      iwSamples: settings.iwSamples,
      trainLoss: fitted.loss,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

/** Prior and aggregate-posterior samples projected to two dimensions, ready to plot (posterior-vs-prior.json). */
export interface PosteriorProjection {
  prior: string;
  /** [x, y] pairs on the first two principal components of the posterior samples. */
  posterior: number[];
  priorSamples: number[];
  range: Range2D;
}

/** Prior samples against aggregate-posterior samples, both projected with one PCA fitted on the posterior samples. */
export async function posteriorProjection(vae: VAE, prior: string, test: MnistSplit, limit?: number): Promise<PosteriorProjection> {
  const m = vae.latentSize;
  const chunks: Float32Array[] = [];
  const random = new Random(5);
  for (const batch of testBatches(test, 1000, limit)) {
    const z = vae.encodeSample(batch.x as tf.Tensor2D, random);
    chunks.push((await z.data()) as Float32Array);
    z.dispose();
  }
  const posterior = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    posterior.set(c, offset);
    offset += c.length;
  }
  const n = posterior.length / m;
  const priorSamples = vae.prior.sample(n, { random: 6 });
  const priorValues = await priorSamples.data();
  priorSamples.dispose();
  const pca = fitPca(posterior, n, m);
  const p2 = project(posterior, n, m, pca);
  const q2 = project(priorValues, n, m, pca);
  // A robust window: the 99th percentile of the posterior's projected coordinates, with margin.
  const magnitudes = Array.from(p2, Math.abs).sort((a, b) => a - b);
  const extent = 1.3 * (magnitudes[Math.floor(0.99 * (magnitudes.length - 1))] || 1);
  return {
    prior,
    posterior: Array.from(p2),
    priorSamples: Array.from(q2),
    range: [
      [-extent, extent],
      [-extent, extent],
    ],
  };
}

/** The panel of one prior: prior samples (red) over aggregate-posterior samples (blue), with axes and a legend. */
export function posteriorFigure(projection: PosteriorProjection): FigureSpec {
  return pointsFigure({
    title: `${projection.prior} prior`,
    range: projection.range,
    series: [
      { name: 'aggregate posterior q(z)', points: projection.posterior, colour: '#1438c8' },
      { name: 'prior p(z)', points: projection.priorSamples, colour: '#dc1e1e' },
    ],
    axisTitles: ['principal component 1', 'principal component 2'],
    panelSize: 280,
  });
}

/**
 * Per prior: `samples`, `reconstructions` (original | reconstruction pairs) and `posterior-vs-prior`,
 * each as SVG and PNG, and the projection behind the last one as `posterior-vs-prior.json`.
 */
export async function writePictures(dir: string, prior: string, vae: VAE, test: MnistSplit, limit?: number): Promise<PosteriorProjection> {
  const { join } = await import('node:path');
  const samples = vae.samplePixels(64, 3);
  const values = await samples.data();
  samples.dispose();
  const images = Array.from({ length: 64 }, (_, i) => values.slice(i * 784, (i + 1) * 784));
  await writeFigure(
    join(dir, 'samples'),
    imageGridFigure({
      images,
      rows: 28,
      columns: 28,
      gridColumns: 8,
      title: `VAE with the ${prior} prior: samples`,
      caption: 'Bernoulli means of the decoder, 64 draws of z from the prior',
    }),
    writeFileAtomic,
  );
  const first = testBatches(test, 32, limit).next().value!;
  const reconstructed = vae.reconstruct(first.x as tf.Tensor2D);
  const original = await first.x.data();
  const recon = await reconstructed.data();
  reconstructed.dispose();
  first.dispose();
  const pairs: Float32Array[] = [];
  for (let i = 0; i < 32; i++) pairs.push(original.slice(i * 784, (i + 1) * 784) as Float32Array, recon.slice(i * 784, (i + 1) * 784) as Float32Array);
  await writeFigure(
    join(dir, 'reconstructions'),
    imageGridFigure({
      images: pairs,
      rows: 28,
      columns: 28,
      gridColumns: 8,
      title: `VAE with the ${prior} prior: reconstructions`,
      caption: 'pairs of test image | reconstruction',
    }),
    writeFileAtomic,
  );
  const projection = await posteriorProjection(vae, prior, test, limit);
  await writeFileAtomic(join(dir, 'posterior-vs-prior.json'), `${JSON.stringify(projection)}\n`);
  await writeFigure(join(dir, 'posterior-vs-prior'), posteriorFigure(projection), writeFileAtomic);
  return projection;
}

export function summarize(results: RunResult[]): { prior: PriorKind; runs: number; elboMean: number; elboStd: number; iwaeMean: number; iwaeStd: number }[] {
  const priors = [...new Set(results.map((r) => r.prior))];
  const stats = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
    return [mean, std];
  };
  return priors.map((prior) => {
    const rows = results.filter((r) => r.prior === prior);
    const [elboMean, elboStd] = stats(rows.map((r) => r.testElbo));
    const [iwaeMean, iwaeStd] = stats(rows.map((r) => r.testIwae));
    return { prior, runs: rows.length, elboMean, elboStd, iwaeMean, iwaeStd };
  });
}

export function markdownTable(results: RunResult[], settings: ExperimentSettings): string {
  const rows = summarize(results).map(
    (s) => `| ${s.prior} | ${s.runs} | ${s.elboMean.toFixed(2)} ± ${s.elboStd.toFixed(2)} | ${s.iwaeMean.toFixed(2)} ± ${s.iwaeStd.toFixed(2)} |`,
  );
  return [
    `Latent ${settings.latent}, ${settings.epochs} epochs, batch ${settings.batchSize}, lr ${settings.learningRate}; IWAE with k = ${settings.iwSamples}; test images: ${settings.limit ?? 10000}; ${settings.binarization === 'stochastic' ? 'stochastically binarized (each pixel 1 with probability v/255, drawn once)' : 'binarized at v/255 > 0.5'}. Mean ± standard deviation over runs.`,
    '',
    '| prior | runs | test ELBO (nats) | test log-likelihood, IWAE (nats) |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
