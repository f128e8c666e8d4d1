import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DivergenceError, NonFiniteLossError } from './loss-errors.js';
import { type FitProgress, LossMonitor, type LossMonitorOptions } from './loss-monitor.js';

/** An optimizer as the monitor sees it, moved by hand. */
function fakeOptimizer(step = 0) {
  return { step, learningRate: 0.01, peakLearningRate: 0.02 };
}

/** Records one step's loss as fit does: the optimizer has stepped, the caller keeps and disposes the loss. */
function step(monitor: LossMonitor, optimizer: { step: number }, loss: number, batchSize = 10): void {
  optimizer.step += 1;
  const value = tf.scalar(loss);
  monitor.record(value, batchSize);
  value.dispose();
}

/** A variable holding `values`, without a stray tensor beside it. */
function variableOf(values: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor1d(values)));
}

function monitorOf(options: Partial<LossMonitorOptions> & Pick<LossMonitorOptions, 'variables' | 'optimizer'>): LossMonitor {
  return new LossMonitor({ totalSteps: Infinity, divergence: 10, ...options });
}

describe('LossMonitor', () => {
  it('reports the mean loss of each interval with one read-back, and holds no tensor once disposed', async () => {
    const before = tf.memory().numTensors;
    const v = variableOf([1, 2]);
    const optimizer = fakeOptimizer();
    const monitor = monitorOf({ variables: [v], optimizer });
    await monitor.report(0); // nothing recorded: nothing to report
    expect(monitor.history).toEqual([]);
    expect(monitor.lastLoss).toBeNaN();
    step(monitor, optimizer, 2);
    step(monitor, optimizer, 4);
    await monitor.report(0);
    step(monitor, optimizer, 1);
    await monitor.report(0);
    expect(monitor.history).toEqual([
      { step: 2, loss: 3 },
      { step: 3, loss: 1 },
    ]);
    expect(monitor.lastLoss).toBe(1);
    step(monitor, optimizer, 5); // not yet reported when training stops
    monitor.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on a NaN loss restores the weights of the last good report and throws NonFiniteLossError naming both steps', async () => {
    const v = variableOf([1, 2]);
    const optimizer = fakeOptimizer(4); // resumed at step 4
    const monitor = monitorOf({ variables: [v], optimizer, settingNames: { learningRate: '--lr' } });
    v.assign(tf.tensor1d([3, 4]));
    step(monitor, optimizer, 1);
    await monitor.report(0);
    v.assign(tf.tensor1d([9, 9]));
    step(monitor, optimizer, 1);
    step(monitor, optimizer, Number.NaN);
    const error = await monitor.report(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error).toMatchObject({ step: 7, restoredStep: 5 });
    expect((error as Error).message).toMatch(/became NaN or infinite by step 7; weights restored to those of step 5\. Try a lower learning rate \(--lr\)\.$/);
    expect(Array.from(v.dataSync())).toEqual([3, 4]);
    expect(monitor.history).toEqual([{ step: 5, loss: 1 }]);
    monitor.dispose();
  });

  it('a NaN before any report restores the starting weights', async () => {
    const v = variableOf([1, 2]);
    const optimizer = fakeOptimizer();
    const monitor = monitorOf({ variables: [v], optimizer });
    v.assign(tf.tensor1d([0, 0]));
    step(monitor, optimizer, Number.POSITIVE_INFINITY);
    await expect(monitor.report(0)).rejects.toMatchObject({ name: 'NonFiniteLossError', step: 1, restoredStep: 0 });
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    monitor.dispose();
  });

  it('stops a runaway loss with DivergenceError, measured from the first step’s loss and the best report, and restores the last good weights', async () => {
    const v = variableOf([1]);
    const optimizer = fakeOptimizer();
    const monitor = monitorOf({ variables: [v], optimizer });
    // The first step's loss (100, before any update) is read with the first report (mean 34).
    step(monitor, optimizer, 100);
    step(monitor, optimizer, 0);
    step(monitor, optimizer, 2);
    await monitor.report(0);
    // The reference is the best, 34; the allowance 10 × max(1, |34|, progress 100 − 34) = 660.
    v.assign(tf.tensor1d([2]));
    step(monitor, optimizer, 690);
    await monitor.report(0);
    expect(monitor.history.map((h) => h.loss)).toEqual([34, 690]);
    v.assign(tf.tensor1d([3]));
    step(monitor, optimizer, 700);
    const error = await monitor.report(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect(error).toMatchObject({ step: 5, restoredStep: 4, loss: 700, bestLoss: 34 });
    expect((error as Error).message).toMatch(
      /rose to 700 by step 5, far above its best of 34\.00: the run diverged; .* Try a lower learning rate \(this run's peak: 0\.0200\), or clipNorm\.$/,
    );
    expect(Array.from(v.dataSync())).toEqual([2]);
    monitor.dispose();
  });

  it('a loss that runs away before the first report is measured against the first step’s', async () => {
    const v = variableOf([1]);
    const optimizer = fakeOptimizer();
    const monitor = monitorOf({ variables: [v], optimizer });
    v.assign(tf.tensor1d([5]));
    step(monitor, optimizer, 1);
    step(monitor, optimizer, 1000);
    await expect(monitor.report(0)).rejects.toMatchObject({ name: 'DivergenceError', step: 2, restoredStep: 0, loss: 500.5, bestLoss: 1 });
    expect(Array.from(v.dataSync())).toEqual([1]);
    monitor.dispose();
  });

  it('a smaller factor stops sooner, and divergence: false never stops a finite loss', async () => {
    for (const [divergence, stops] of [
      [1, true],
      [false, false],
    ] as const) {
      const v = variableOf([1]);
      const optimizer = fakeOptimizer();
      const monitor = monitorOf({ variables: [v], optimizer, divergence });
      step(monitor, optimizer, 1);
      await monitor.report(0);
      step(monitor, optimizer, 1e6);
      const outcome = await monitor.report(0).then(
        () => 'went on',
        (e: Error) => e.name,
      );
      expect(outcome).toBe(stops ? 'DivergenceError' : 'went on');
      monitor.dispose();
      v.dispose();
    }
  });

  it('tells onProgress the step, epoch, rate, throughput since the start and the time left at that pace', async () => {
    let now = 1000;
    const seen: FitProgress[] = [];
    const v = variableOf([1]);
    const optimizer = fakeOptimizer(10); // resumed at step 10 of 30
    const monitor = monitorOf({ variables: [v], optimizer, totalSteps: 30, onProgress: (p) => seen.push(p), now: () => now });
    step(monitor, optimizer, 1, 50);
    step(monitor, optimizer, 3, 50);
    now += 2000;
    await monitor.report(3);
    expect(seen).toEqual([{ step: 12, totalSteps: 30, epoch: 3, loss: 2, learningRate: 0.01, samplesPerSecond: 50, elapsedSeconds: 2, etaSeconds: 18 }]);
    // Unknown total: no estimate of the time left.
    const open = monitorOf({ variables: [v], optimizer, onProgress: (p) => seen.push(p), now: () => now });
    step(open, optimizer, 1);
    now += 1000;
    await open.report(0);
    expect(seen[1]).toMatchObject({ step: 13, totalSteps: Number.POSITIVE_INFINITY, samplesPerSecond: 10, elapsedSeconds: 1 });
    expect(seen[1].etaSeconds).toBeNaN();
    monitor.dispose();
    open.dispose();
  });
});
