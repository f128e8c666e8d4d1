import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { formatDuration, formatRate, ProgressBar, UsageError } from '@flows/cli-kit';
import { ENERGY_NAMES, energyByName, gridPoints, type Range2D, TOY_NAMES, toyByName } from '@flows/datasets';
import type { TransformedDistribution } from '@flows/distributions';
import {
  Adam,
  type AdamState,
  estimateLogNormalizer,
  fitReverseKL,
  type LearningRateSchedule,
  type LogDensity,
  reverseKLLoss,
  saveModel,
  writeFileAtomic,
} from '@flows/flows';
import { writeToyPictures, writeTrainingCurves } from './pictures.js';
import { openToyRun } from './resume.js';

/** Targets for `--target`: the energies, and the toys whose exact density is finite everywhere. */
export const TARGET_NAMES = [...ENERGY_NAMES, ...TOY_NAMES.filter((name) => ['two-gaussians', 'eight-gaussians', 'rings'].includes(name))];

interface Target {
  name: string;
  logDensity: LogDensity;
  normalized: boolean;
  range: Range2D;
}

function resolveTarget(name: string): Target {
  if (ENERGY_NAMES.includes(name)) {
    const energy = energyByName(name);
    return { name, logDensity: energy.logDensity, normalized: energy.normalized, range: energy.plotRange };
  }
  if (TARGET_NAMES.includes(name)) {
    const toy = toyByName(name);
    return { name, logDensity: (x) => toy.uncheckedLogProb(x), normalized: true, range: toy.plotRange };
  }
  if (TOY_NAMES.includes(name)) {
    throw new UsageError(
      `--target ${name}: its density is zero (log −∞) on part of the plane or unknown, so the reverse KL is infinite; use one of ${TARGET_NAMES.join(', ')}`,
    );
  }
  throw new UsageError(`unknown --target '${name}'; expected one of ${TARGET_NAMES.join(', ')}`);
}

/** The target's density on the plotting grid, normalised numerically over the window. */
function targetOnGrid(target: Target, size = 320): Float32Array {
  const points = gridPoints(target.range, size);
  const logValues = tf.tidy(() => target.logDensity(tf.tensor2d(points, [size * size, 2])));
  const values = Float32Array.from(logValues.dataSync(), Math.exp);
  logValues.dispose();
  const [[x0, x1], [y0, y1]] = target.range;
  const cell = ((x1 - x0) / size) * ((y1 - y0) / size);
  const mass = values.reduce((s, v) => s + v, 0) * cell;
  return values.map((v) => v / mass);
}

export interface TargetRun {
  targetName: string;
  model: TransformedDistribution;
  steps: number;
  batchSize: number;
  learningRate: number | LearningRateSchedule;
  clipNorm?: number;
  seed: number;
  evaluationSamples: number;
  quiet: boolean;
  out: string;
  backend: string;
  settings: Record<string, unknown>;
  /** Steps between checkpoints in `<out>/checkpoint`. */
  checkpointEvery: number;
  /** Continue from `<out>/checkpoint` (same settings). */
  resume: boolean;
}

/** `toy-flow train --target`: reverse-KL fitting to an unnormalised 2-D density, then metrics and pictures. */
export async function trainOnTarget(run: TargetRun): Promise<void> {
  const target = resolveTarget(run.targetName);
  const { rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const training = await openToyRun(run.out, run.settings, run.resume, ['steps']);
  const checkpoint = training.resumed;
  const model = checkpoint?.model ?? run.model;
  const random = checkpoint ? Random.fromState(checkpoint.randomState) : new Random(run.seed + 17);
  const restored: AdamState | null = checkpoint?.optimizerState ?? null;
  let seconds = training.saved<number>('seconds') ?? 0;
  const history = training.rows;
  if (restored) console.error(`resuming after step ${restored.step} of ${run.steps}`);
  const optimizer = new Adam(model.trainableVariables, { learningRate: run.learningRate, clipNorm: run.clipNorm });
  if (restored) optimizer.setState(restored);
  const firstStep = optimizer.step;
  const bar = run.quiet || firstStep >= run.steps ? null : new ProgressBar({ total: run.steps - firstStep, label: 'reverse KL' });
  // In segments with a checkpoint after each (the same segments when resumed, so a resumed run ends like an uninterrupted one).
  while (optimizer.step < run.steps) {
    const end = Math.min(run.steps, (Math.floor(optimizer.step / run.checkpointEvery) + 1) * run.checkpointEvery);
    const segment = await fitReverseKL(model, target.logDensity, {
      steps: end - optimizer.step,
      batchSize: run.batchSize,
      optimizer,
      random,
      reportEvery: 100,
      // A diverging run's advice names toy-flow's flags, not the library's options.
      settingNames: { learningRate: '--lr', clipNorm: '--clip-norm' },
      onProgress: (p) => {
        history.push({ step: p.step, loss: p.loss, learningRate: p.learningRate });
        bar?.update(p.step - firstStep, {
          loss: p.loss.toFixed(4),
          'samples/s': formatRate(p.samplesPerSecond),
          ETA: formatDuration((p.elapsedSeconds / Math.max(1, p.step - firstStep)) * (run.steps - p.step)),
        });
      },
    });
    seconds += segment.seconds;
    await training.checkpoint({ model, optimizer, random, epoch: 0, extra: { seconds } });
  }
  bar?.finish();
  const result = { steps: optimizer.step, seconds };
  optimizer.dispose();
  // One commit for the run's files: old metrics go before the new model is saved.
  await rm(join(run.out, 'metrics.json'), { force: true });
  const savedModel = await saveModel(model, join(run.out, 'model'), { app: 'toy-flow', target: target.name, settings: run.settings });
  const evaluation = new Random(run.seed + 2_000_003);
  let loss = 0;
  const chunk = 10_000;
  for (let done = 0; done < run.evaluationSamples; done += chunk) {
    const n = Math.min(chunk, run.evaluationSamples - done);
    loss += tf.tidy(() => reverseKLLoss(model, target.logDensity, n, evaluation).dataSync()[0]) * n;
  }
  loss /= run.evaluationSamples;
  const logZ = estimateLogNormalizer(model, target.logDensity, { samples: run.evaluationSamples, seed: run.seed + 3 });
  // loss = KL − log Z: for a normalised target log Z = 0; otherwise the importance-sampling log Z gives the KL estimate.
  const kl = target.normalized ? loss : loss + logZ;
  const metrics = {
    target: target.name,
    mode: 'reverse-kl',
    reverseKlMinusLogZ: loss,
    logZEstimate: logZ,
    kl,
    klIsExact: target.normalized,
    modelChecksum: savedModel.weights.checksum,
    settings: run.settings,
    backend: run.backend,
    steps: result.steps,
    samplesPerSecond: (result.steps * run.batchSize) / result.seconds,
    trainSeconds: result.seconds,
    history,
  };
  await writeFileAtomic(join(run.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  const samples = model.sample(5000, { random: run.seed + 99 });
  const values = samples.dataSync() as Float32Array;
  samples.dispose();
  const paths = await writeToyPictures(run.out, model, targetOnGrid(target), target.range, values, null, { name: target.name, reference: 'target density' });
  const curves = history.length > 0 ? `\ncurves:    ${await writeTrainingCurves(run.out, history, 'reverse KL − log Z')}` : '';
  console.log(
    `target:    ${target.name} (reverse KL, the flow's own samples)\n` +
      `loss:      ${loss.toFixed(4)} nats (E_p[log p − log q̃] = KL − log Z)\n` +
      `log Z:     ${logZ.toFixed(4)} (importance sampling${target.normalized ? '; the target is normalised, so 0 is exact' : ''})\n` +
      `KL(p‖q):   ${kl.toFixed(4)} nats${target.normalized ? '' : ' (loss + estimated log Z)'}\n` +
      `training:  ${result.steps} steps, ${formatRate(metrics.samplesPerSecond)} samples/s, ${formatDuration(result.seconds)} on ${run.backend}\n` +
      `model:     ${join(run.out, 'model')}\nmetrics:   ${join(run.out, 'metrics.json')}\npictures:  ${paths.density} (model | target), ${paths.samples}${curves}`,
  );
  // A model resumed from the checkpoint is this function's own; the caller disposes the one it built.
  if (model !== run.model) model.dispose();
}
