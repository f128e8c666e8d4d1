import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { formatDuration, formatRate, ProgressBar } from '@flows/cli-kit';
import type { Distribution } from '@flows/distributions';
import { type Adam, type Batch, fit, type SettingNames, type TrainingData, type TrainingRun } from '@flows/flows';
import { firstBatches } from './fresh-batches.js';
import type { HistoryRow } from './pictures.js';

/** A `--data` run's training, set up (fresh or resumed) and ready to step. */
export interface SegmentedTraining {
  model: Distribution;
  optimizer: Adam;
  random: Random;
  /** The run's checkpoint folder and loss history. */
  run: TrainingRun<Distribution, Record<string, unknown>, HistoryRow>;
  data: TrainingData;
  /** Fresh samples every batch (the toys), rather than a fixed data set (CSV) trained in epochs. */
  fresh: boolean;
  totalSteps: number;
  stepsPerEpoch: number;
  batchSize: number;
  checkpointEvery: number;
  /** The loss of a batch, where it is not the negative log-likelihood (flow matching, `--flow cnf`). */
  lossFunction?: (model: Distribution, batch: Batch) => tf.Scalar;
  /** More state for each checkpoint's `extra`, read when it is written (the average of the weights, `--ema`). */
  checkpointExtra?: () => Promise<Record<string, unknown>>;
  /** A diverging run's advice in the app's flags. */
  settingNames: SettingNames;
  quiet: boolean;
  /** Training seconds and last loss of the steps before (a resumed run's). */
  seconds: number;
  loss: number;
}

/**
 * Trains to `totalSteps` in segments with a checkpoint after each: every `checkpointEvery` steps
 * for fresh samples (toys); for a fixed data set (CSV) as many whole epochs as fit in
 * `checkpointEvery` steps, at least one (a small file's default run is hundreds of epochs). A run
 * resumed from a checkpoint takes the same segments, so it ends exactly where the uninterrupted
 * run does. Returns the training seconds and the last loss, the resumed run's included.
 */
export async function trainInSegments(t: SegmentedTraining): Promise<{ seconds: number; loss: number }> {
  const { model, optimizer, random, totalSteps, stepsPerEpoch, batchSize } = t;
  const history = t.run.rows;
  let { seconds, loss } = t;
  const firstStep = optimizer.step;
  const bar = t.quiet || firstStep >= totalSteps ? null : new ProgressBar({ total: totalSteps - firstStep, label: 'train' });
  const every = t.fresh ? t.checkpointEvery : stepsPerEpoch * Math.max(1, Math.floor(t.checkpointEvery / stepsPerEpoch));
  while (optimizer.step < totalSteps) {
    const target = Math.min(totalSteps, (Math.floor(optimizer.step / every) + 1) * every);
    const result = await fit(model, t.fresh ? firstBatches(t.data, target - optimizer.step, batchSize) : t.data, {
      epochs: t.fresh ? 1 : Math.ceil((target - optimizer.step) / stepsPerEpoch),
      steps: target,
      initialEpoch: Math.floor(optimizer.step / stepsPerEpoch),
      batchSize,
      optimizer,
      random,
      reportEvery: 100,
      settingNames: t.settingNames,
      ...(t.lossFunction ? { loss: t.lossFunction } : {}),
      onProgress: (p) => {
        history.push({ step: p.step, loss: p.loss, learningRate: p.learningRate });
        bar?.update(p.step - firstStep, {
          loss: p.loss.toFixed(4),
          'samples/s': formatRate(p.samplesPerSecond),
          ETA: formatDuration((p.elapsedSeconds / Math.max(1, p.step - firstStep)) * (totalSteps - p.step)),
        });
      },
    });
    seconds += result.seconds;
    loss = result.loss;
    await t.run.checkpoint({
      model,
      optimizer,
      random,
      epoch: Math.floor(optimizer.step / stepsPerEpoch),
      extra: { seconds, loss, ...(await t.checkpointExtra?.()) },
    });
  }
  bar?.finish();
  return { seconds, loss };
}
