import type { Random } from '@flows/core';
import type { TrainingData } from '@flows/flows';

/**
 * The first `steps` batches of fresh-sample data, as data of their own: one segment of a run
 * between checkpoints. The batches come from the run's generator as the whole epoch's would, so
 * a run in segments draws exactly the samples of a run in one piece.
 */
export function firstBatches(data: TrainingData, steps: number, batchSize: number): TrainingData {
  return {
    size: steps * batchSize,
    *batches(size: number, random: Random) {
      const all = data.batches(size, random)[Symbol.iterator]();
      try {
        for (let k = 0; k < steps; k++) {
          const next = all.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        all.return?.(undefined);
      }
    },
  };
}
