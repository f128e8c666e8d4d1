import type { TrainingThroughput } from './benchmark.js';
import { PlaygroundSession } from './session.js';
import { settingsFromQuery } from './settings.js';

/**
 * Times a playground run's training alone (no pictures, no KL), as `timeTraining` times the
 * benchmark model: a warm-up round of `steps`, then `rounds` timed rounds; the median. The run is
 * given as the page's query (`data=chequerboard&flow=spline&layers=6`), at batch `batch`, so the
 * flows compare on one backend with everything else equal (issue 36: splines against Real NVP).
 */
export async function timeToyTraining(query: string, batch: number, steps: number, rounds: number): Promise<TrainingThroughput> {
  const settings = { ...settingsFromQuery(query), batchSize: batch, steps: (rounds + 1) * steps };
  const session = new PlaygroundSession(settings, { kind: 'toy', name: settings.data });
  const timed: number[] = [];
  try {
    for (let round = -1; round < rounds; round++) {
      const started = performance.now();
      // train() reads its loss back, so each round ends when its steps have run.
      await session.train(steps);
      const seconds = (performance.now() - started) / 1000;
      if (round >= 0) timed.push((steps * batch) / seconds);
    }
  } finally {
    session.dispose();
  }
  const sorted = [...timed].sort((a, b) => a - b);
  return { batch, samplesPerSecond: sorted[Math.floor(sorted.length / 2)], rounds: timed };
}
