import { formatDuration, formatRate, ProgressBar } from '@flows/cli-kit';
import type { FitProgress } from '@flows/flows';

/** The loss and speed of a run as it goes: a progress bar over the steps, and one line per epoch. */
export interface TrainingProgress {
  /** For fit's `onProgress`: the bar moves to the step and shows the epoch, the loss, the speed and the time left. */
  update(progress: FitProgress): void;
  /** An epoch's summary line: it ends the bar's line, or goes to stderr where there is no bar. */
  epochLine(line: string): void;
}

/**
 * The progress of `steps` optimizer steps from `firstStep` (a resumed run's optimizer has taken
 * some already), in epochs of `epochs`. `show: false` (`--quiet`, or nothing left to train) draws
 * no bar; the epoch lines are printed all the same.
 */
export function trainingProgress(options: { show: boolean; steps: number; firstStep: number; epochs: number }): TrainingProgress {
  const bar = options.show ? new ProgressBar({ total: options.steps, label: 'train' }) : null;
  return {
    update: (p) =>
      bar?.update(p.step - options.firstStep, {
        epoch: `${p.epoch + 1}/${options.epochs}`,
        loss: p.loss.toFixed(1),
        'samples/s': formatRate(p.samplesPerSecond),
        ETA: formatDuration(p.etaSeconds),
      }),
    epochLine: (line) => {
      if (bar) bar.finish(line);
      else console.error(line);
    },
  };
}
