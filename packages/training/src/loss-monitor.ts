import * as tf from '@tensorflow/tfjs-core';
import { DivergenceError, NonFiniteLossError, type SettingNames } from './loss-errors.js';

export interface FitProgress {
  step: number;
  /** Total steps planned (may be approximate when epochs end early). */
  totalSteps: number;
  epoch: number;
  /** Mean training loss over the steps since the last report. */
  loss: number;
  learningRate: number;
  samplesPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

/** What the monitor reads of the optimizer: how far it is and at what rates. */
export interface MonitoredOptimizer {
  readonly step: number;
  readonly learningRate: number;
  readonly peakLearningRate: number;
}

export interface LossMonitorOptions {
  /** The weights that are snapshotted at each good report and restored when training fails. */
  variables: readonly tf.Variable[];
  optimizer: MonitoredOptimizer;
  /** The step training stops at (Infinity when unknown: then the ETA is NaN). */
  totalSteps: number;
  /** As fit's `divergence` option: a positive factor, or `false` for no divergence check. */
  divergence: number | false;
  settingNames?: SettingNames;
  onProgress?: (progress: FitProgress) => void;
  /** Milliseconds since some origin (default `performance.now`); a test passes its own clock. */
  now?: () => number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Watches fit's training loss without stalling the device: each step's loss is summed on the
 * device, and only {@link report} reads it back (one read-back for a whole interval). A report
 * checks the interval's mean: NaN or infinite restores the weights of the last good report and
 * throws {@link NonFiniteLossError}; far above the best (or the starting) loss restores them and
 * throws {@link DivergenceError}; otherwise the weights become the new last good ones, the mean
 * joins the history, and `onProgress` hears the rate and the time left.
 */
export class LossMonitor {
  /** The mean loss of each report, at the optimizer's step when it was made. */
  readonly history: { step: number; loss: number }[] = [];
  private readonly options: LossMonitorOptions;
  private readonly now: () => number;
  private readonly start: number;
  private readonly startStep: number;
  /** The weights of the last good report (at first, of the start), restored on a failure. */
  private good: { step: number; weights: tf.Tensor[] };
  /** The sum of the losses since the last report, on the device, and how many steps it holds. */
  private running: tf.Tensor | null = null;
  private runningSteps = 0;
  private samples = 0;
  private firstStepSeen = false;
  /** The first step's loss (the model's before any update), read with the first report: the divergence check's reference. */
  private initialLossTensor: tf.Tensor | null = null;
  private initialLoss = NaN;
  private bestLoss = Infinity;
  private last = NaN;

  constructor(options: LossMonitorOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.good = { step: options.optimizer.step, weights: snapshot(options.variables) };
    this.start = this.now();
    this.startStep = options.optimizer.step;
  }

  /** The mean loss of the last report (NaN before the first). */
  get lastLoss(): number {
    return this.last;
  }

  /** Adds one step's loss over a batch of `batchSize` rows; the caller keeps (and disposes) `stepLoss`. */
  record(stepLoss: tf.Tensor, batchSize: number): void {
    if (!this.firstStepSeen) {
      this.firstStepSeen = true;
      this.initialLossTensor = tf.clone(stepLoss);
    }
    const sum = this.running ? tf.add(this.running, stepLoss) : tf.clone(stepLoss);
    this.running?.dispose();
    this.running = sum;
    this.runningSteps += 1;
    this.samples += batchSize;
  }

  /** Reads back and checks the steps recorded since the last report (nothing to do when there are none); `epoch` is the one in progress. */
  async report(epoch: number): Promise<void> {
    const running = this.running;
    if (!running || this.runningSteps === 0) return;
    const { optimizer, divergence, settingNames } = this.options;
    // The first report also reads the first step's loss: one read-back for both.
    const initial = this.initialLossTensor;
    const both = initial ? tf.stack([running, initial]) : running;
    const values = await both.data();
    if (initial) {
      this.initialLoss = values[1];
      tf.dispose([both, initial]);
      this.initialLossTensor = null;
    }
    const mean = values[0] / this.runningSteps;
    running.dispose();
    this.running = null;
    this.runningSteps = 0;
    if (!Number.isFinite(mean)) {
      this.restoreGood();
      throw new NonFiniteLossError(optimizer.step, this.good.step, settingNames);
    }
    const initialLoss = this.initialLoss;
    const reference = Math.min(this.bestLoss, Number.isFinite(initialLoss) ? initialLoss : Infinity);
    if (divergence !== false && Number.isFinite(reference)) {
      const progress = Number.isFinite(initialLoss) ? Math.abs(initialLoss - reference) : 0;
      if (mean > reference + divergence * Math.max(1, Math.abs(reference), progress)) {
        this.restoreGood();
        throw new DivergenceError(optimizer.step, this.good.step, mean, reference, optimizer.peakLearningRate, settingNames);
      }
    }
    this.bestLoss = Math.min(this.bestLoss, mean);
    this.last = mean;
    this.history.push({ step: optimizer.step, loss: mean });
    tf.dispose(this.good.weights);
    this.good = { step: optimizer.step, weights: snapshot(this.options.variables) };
    this.progress(epoch, mean);
    await yieldToEventLoop();
  }

  /** Frees what the monitor holds: the last good weights and any loss not yet reported. */
  dispose(): void {
    tf.dispose([...this.good.weights, ...(this.running ? [this.running] : []), ...(this.initialLossTensor ? [this.initialLossTensor] : [])]);
    this.good.weights = [];
    this.running = null;
    this.initialLossTensor = null;
  }

  private restoreGood(): void {
    this.options.variables.forEach((v, i) => v.assign(this.good.weights[i]));
  }

  /** Tells `onProgress` the report's mean, the throughput since the start and the time left at that pace. */
  private progress(epoch: number, loss: number): void {
    const { optimizer, totalSteps, onProgress } = this.options;
    if (!onProgress) return;
    const elapsed = (this.now() - this.start) / 1000;
    const done = optimizer.step - this.startStep;
    const remaining = Number.isFinite(totalSteps) ? totalSteps - optimizer.step : NaN;
    onProgress({
      step: optimizer.step,
      totalSteps,
      epoch,
      loss,
      learningRate: optimizer.learningRate,
      samplesPerSecond: this.samples / Math.max(elapsed, 1e-9),
      elapsedSeconds: elapsed,
      etaSeconds: done > 0 ? (elapsed / done) * remaining : NaN,
    });
  }
}

function snapshot(variables: readonly tf.Variable[]): tf.Tensor[] {
  return variables.map((v) => tf.keep(tf.clone(v)));
}
