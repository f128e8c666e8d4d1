import { formatDuration, formatRate } from '@flows/cli-kit';
import type { Distribution } from '@flows/distributions';
import { klFromTargetAsync, saveModel, writeFileAtomic } from '@flows/flows';
import type { DataSource } from './data-source.js';
import { type HistoryRow, writeToyPictures, writeTrainingCurves } from './pictures.js';

/** What a finished `--data` run hands over for its files. */
export interface FinishedDataRun {
  out: string;
  source: DataSource;
  model: Distribution;
  /** The settings recorded in model.json and metrics.json. */
  settings: Record<string, unknown>;
  steps: number;
  loss: number;
  trainSeconds: number;
  batchSize: number;
  testSize: number;
  seed: number;
  backend: string;
  warning: string | null;
  history: HistoryRow[];
  /** What the training curves call the loss (a continuous flow trained by flow matching does not minimise the NLL). */
  lossName: string;
  /** `performance.now()` when the command started. */
  started: number;
}

/**
 * The files of a finished `--data` run and its summary on stdout: `model/`, `metrics.json` (the
 * test NLL, the entropy and KL where known, the direct KL estimate against an exact density, the
 * settings and throughput, the loss history) and the pictures. One commit for the run's files: the
 * old metrics go first, so that a run killed before its new metrics are written leaves a model
 * without metrics, never beside another model's.
 */
export async function writeDataRunResults(run: FinishedDataRun): Promise<void> {
  const { join } = await import('node:path');
  const { rm } = await import('node:fs/promises');
  const { out, source, model, settings, seed } = run;
  await rm(join(out, 'metrics.json'), { force: true });
  const savedModel = await saveModel(model, join(out, 'model'), { app: 'toy-flow', dataset: source.name, settings });

  const testNll = await source.testNll(model);
  const entropy = source.entropy;
  const direct =
    source.target?.hasExactDensity && !source.labels ? await klFromTargetAsync(model, source.target, { samples: run.testSize, seed: seed + 2_000_003 }) : null;
  const metrics = {
    dataset: source.name,
    testNll,
    testSize: source.target ? run.testSize : null,
    entropy,
    kl: entropy === null ? null : testNll - entropy,
    klDirect: direct ? { estimate: direct.kl, standardError: direct.standardError } : null,
    trainLoss: run.loss,
    modelChecksum: savedModel.weights.checksum,
    settings,
    backend: run.backend,
    steps: run.steps,
    warnings: run.warning ? [run.warning] : [],
    // The pictures' window, [[x0, x1], [y0, y1]] (null beyond 2-D): the playground shows the same data in the same one.
    plotRange: source.range,
    samplesPerSecond: (run.steps * run.batchSize) / run.trainSeconds,
    trainSeconds: run.trainSeconds,
    seconds: (performance.now() - run.started) / 1000,
    history: run.history,
  };
  await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  let pictures = run.history.length > 0 ? `\ncurves:    ${await writeTrainingCurves(out, run.history, run.lossName)}` : '';
  if (source.range) {
    const values = await source.sampleModel(model, 5000, seed + 99);
    const reference = await source.reference();
    if (reference) {
      const referenceKind = source.target?.hasExactDensity ? 'true density' : 'data histogram';
      const paths = await writeToyPictures(out, source.pictureModel(model), reference, source.range, values, source.dataPoints, {
        name: source.name,
        reference: referenceKind,
      });
      pictures += `\npictures:  ${paths.density} (model | ${referenceKind}), ${paths.samples}`;
    }
  }
  console.log(
    `dataset:   ${source.name}\ntest NLL:  ${testNll.toFixed(4)} nats` +
      (source.labels ? `\n           (conditional: −log p(x | component), ${source.labels} components)` : '') +
      (entropy !== null
        ? `\nentropy:   ${entropy.toFixed(4)} nats${source.labels ? ' (H(X | component))' : ''}\nKL:        ${(testNll - entropy).toFixed(4)} nats (test NLL - entropy)`
        : '') +
      (direct ? `\nKL direct: ${direct.kl.toFixed(4)} ± ${direct.standardError.toFixed(4)} nats (E_p[log p - log q])` : '') +
      `\ntraining:  ${run.steps} steps, ${formatRate(metrics.samplesPerSecond)} samples/s, ${formatDuration(run.trainSeconds)} on ${run.backend}` +
      `\nmodel:     ${join(out, 'model')}\nmetrics:   ${join(out, 'metrics.json')}${pictures}`,
  );
}
