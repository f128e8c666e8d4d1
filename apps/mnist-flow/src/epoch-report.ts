import { formatDuration, formatRate } from '@flows/cli-kit';
import type { Random } from '@flows/core';
import type { ImageView } from '@flows/datasets';
import type { Distribution, VariationalDequantization } from '@flows/distributions';
import {
  type Adam,
  bitsPerDimension,
  type EpochEnd,
  type LearningRateSchedule,
  type TrainingData,
  type TrainingRun,
  saveModel,
  writeFileAtomic,
} from '@flows/flows';
import { writeEpochCurves, writeSampleGrid } from './pictures.js';
import { bin, describeScaling } from './preprocessing.js';
import { testScore } from './test-score.js';
import type { TrainingProgress } from './training-progress.js';
import { type RunModel, variationalTestScore } from './variational-run.js';

/** One epoch of a run, as metrics.json and the summary table keep it. */
export interface EpochRow {
  epoch: number;
  /** The mean training NLL (nats per image); null for a cnf, which trains by flow matching. */
  trainNll: number | null;
  /** A cnf's mean flow-matching loss over the epoch (what it minimises instead of the NLL). */
  trainLoss?: number;
  testBpd: number;
  testNll: number;
  /** A cnf's function evaluations per test batch solve. */
  testNfe?: number;
  /** Bits per dimension on the held-out training images (with --validation). */
  validationBpd?: number;
  seconds: number;
  samplesPerSecond: number;
  /** The learning rate of the epoch's last update. */
  learningRate: number;
}

/** What picks the best epoch: the validation bpd (rows without one, when validation is off, do not count). */
export function validationScore(row: EpochRow): number | undefined {
  return row.validationBpd;
}

/** What the report of each epoch reads and writes. */
export interface EpochReportContext<Settings extends Record<string, unknown>> {
  out: string;
  /** The flow: its samples, its best epoch and model/. */
  model: Distribution;
  /** With --dequantization variational: the flow and q, which the checkpoint holds and the test figure (their bound) scores. */
  pair: VariationalDequantization | null;
  optimizer: Adam;
  random: Random;
  training: TrainingRun<RunModel, Settings, EpochRow>;
  view: ImageView;
  /** The run's settings, recorded in metrics.json and beside the best model. */
  settings: Settings;
  /** The name of the backend that trains, recorded in metrics.json. */
  backend: string;
  learningRate: number | LearningRateSchedule;
  train: TrainingData;
  test: TrainingData;
  temperature: number;
  /** With --validation: stop after this many epochs without a better validation bpd. */
  patience: number | undefined;
  progress: TrainingProgress;
}

/**
 * fit's `onEpochEnd` for a run: after every epoch, the test bits per dimension (all test images,
 * fixed noise), the best model by validation bpd, an 8 x 8 sample grid, an atomic checkpoint,
 * metrics.json and the training curves, and one line; `false` (stop) once `patience` epochs
 * passed without a better validation bpd.
 */
export function epochReporter<Settings extends Record<string, unknown>>(
  context: EpochReportContext<Settings>,
): (info: EpochEnd) => Promise<boolean | undefined> {
  const { out, model, pair, optimizer, training, view, settings, learningRate, patience, progress } = context;
  let epochStarted = performance.now();
  return async (info) => {
    const { join } = await import('node:path');
    const seconds = (performance.now() - epochStarted) / 1000;
    const { nll: testNll, nfe } = pair ? await variationalTestScore(pair, context.test) : await testScore(model, context.test);
    // A cnf's training loss is flow matching's regression, not an NLL.
    const trainsByNll = nfe === null;
    const row: EpochRow = {
      epoch: info.epoch,
      trainNll: trainsByNll ? info.trainLoss : null,
      ...(trainsByNll ? {} : { trainLoss: info.trainLoss }),
      testNll,
      ...(nfe !== null ? { testNfe: nfe } : {}),
      testBpd: bitsPerDimension(testNll, 784, bin(view)),
      seconds,
      samplesPerSecond: context.train.size / info.seconds,
      learningRate: typeof learningRate === 'number' ? learningRate : learningRate(optimizer.step),
      ...(info.validationLoss !== null ? { validationBpd: bitsPerDimension(info.validationLoss, 784, bin(view)) } : {}),
    };
    // The best model by validation bpd is saved before the checkpoint: a run killed between the two redoes this epoch.
    await training.record(row, { model, score: validationScore, metadata: { app: 'mnist-flow', view, settings, epoch: info.epoch } });
    await writeSampleGrid(model, view, join(out, `samples-epoch-${info.epoch}.png`), {
      temperature: context.temperature,
      seed: 1,
      title: `samples after epoch ${info.epoch}`,
    });
    await training.checkpoint({ model: pair ?? model, optimizer, random: context.random, epoch: info.epoch });
    await writeMetrics(out, training.rows, settings, context.backend, describeScaling(view, pair !== null));
    await writeEpochCurves(join(out, 'training.png'), training.rows, bin(view));
    const validationText =
      row.validationBpd !== undefined ? `  validation bpd ${row.validationBpd.toFixed(4)}${training.best(validationScore) === row ? ' (best)' : ''}` : '';
    const trainText = row.trainNll !== null ? `train NLL ${row.trainNll.toFixed(1)}` : `train loss (flow matching) ${info.trainLoss.toFixed(1)}`;
    const nfeText = nfe !== null ? ` (NFE ${nfe.toFixed(0)})` : '';
    progress.epochLine(
      `epoch ${info.epoch}: ${trainText}  test NLL ${testNll.toFixed(1)} nats  test bpd ${row.testBpd.toFixed(4)}${nfeText}${validationText}  (${formatDuration(seconds)})`,
    );
    epochStarted = performance.now();
    if (training.patienceExhausted(validationScore, patience)) {
      const best = training.best(validationScore)!;
      console.error(`stopping early: no better validation bpd for ${patience} epochs (best ${best.validationBpd!.toFixed(4)} at epoch ${best.epoch})`);
      return false;
    }
    return undefined;
  };
}

async function writeMetrics(out: string, rows: EpochRow[], settings: object, backend: string, scaling: string): Promise<void> {
  const { join } = await import('node:path');
  await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify({ app: 'mnist-flow', scaling, backend, settings, epochs: rows }, null, 2)}\n`);
}

/** The epochs as a Markdown table, the best one (by validation bpd) marked. */
export function summaryTable(rows: EpochRow[], best: EpochRow | undefined): string {
  const withValidation = rows.some((r) => r.validationBpd !== undefined);
  // A cnf's rows have its flow-matching loss instead of a training NLL, and the NFE of its test solves.
  const continuous = rows.some((r) => r.testNfe !== undefined);
  const header = `| epoch | ${continuous ? 'train loss (flow matching)' : 'train NLL (nats)'} | test NLL (nats) | test bpd |${continuous ? ' test NFE |' : ''}${withValidation ? ' validation bpd |' : ''} seconds | samples/s |\n|---|---|---|---|${continuous ? '---|' : ''}${withValidation ? '---|' : ''}---|---|`;
  const line = (r: EpochRow) =>
    `| ${r.epoch} | ${(r.trainNll ?? r.trainLoss ?? Number.NaN).toFixed(1)} | ${r.testNll.toFixed(1)} | ${r.testBpd.toFixed(4)} |${continuous ? ` ${r.testNfe?.toFixed(0) ?? ''} |` : ''}${withValidation ? ` ${r.validationBpd?.toFixed(4) ?? ''}${r === best ? ' (best)' : ''} |` : ''} ${r.seconds.toFixed(0)} | ${formatRate(r.samplesPerSecond)} |`;
  return [header, ...rows.map(line)].join('\n');
}

/**
 * The end of a run: the best epoch's model by validation bpd replaces the last one (which is
 * disposed), model/ and samples.png are written, and the epochs' table and a summary are printed.
 * Returns the model kept.
 */
export async function finishRun<Settings extends Record<string, unknown>>(run: {
  out: string;
  model: Distribution;
  training: TrainingRun<RunModel, Settings, EpochRow>;
  view: ImageView;
  settings: Settings;
  temperature: number;
  backend: string;
  /** With --dequantization variational: the flow and q (the figures are their bound's). */
  pair?: VariationalDequantization | null;
}): Promise<Distribution> {
  const { join } = await import('node:path');
  const { out, training, view, settings, temperature } = run;
  const variational = Boolean(run.pair);
  const rows = training.rows;
  let model = run.model;
  const best = training.best(validationScore);
  if (best && best !== rows[rows.length - 1]) {
    model.dispose();
    model = await training.loadBestModel();
    console.error(`the model of epoch ${best.epoch} (best validation bpd) is kept`);
  }
  // A variational run's model/ records its epoch: eval takes q from the checkpoint of the same one.
  const epoch = best?.epoch ?? (variational ? rows[rows.length - 1].epoch : undefined);
  await saveModel(model, join(out, 'model'), { app: 'mnist-flow', view, settings, ...(epoch !== undefined ? { epoch } : {}) });
  const grid = join(out, 'samples.png');
  await writeSampleGrid(model, view, grid, { temperature, seed: 2 });
  console.log(summaryTable(rows, best));
  const last = best ?? rows[rows.length - 1];
  console.log(
    `\ntest bpd:  ${last.testBpd.toFixed(4)}${last.testNfe !== undefined ? ` (NFE ${last.testNfe.toFixed(0)} per solve)` : ''}${best ? ` (epoch ${best.epoch}, best validation bpd ${best.validationBpd!.toFixed(4)})` : ''} (${describeScaling(view, variational)})\nsamples:   ${grid} (temperature ${temperature})\nmodel:     ${join(out, 'model')}\nmetrics:   ${join(out, 'metrics.json')}, curves ${join(out, 'training.png')}\nbackend:   ${run.backend}`,
  );
  return model;
}
