import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { readNumericCsv, UsageError } from '@flows/cli-kit';
import { columnStatistics, histogramOnGrid, plotRangeAround, TOY_NAMES } from '@flows/datasets';
import { meanNegativeLogLikelihoodAsync, splitRows, tensorData } from '@flows/flows';
import { type DataSource, unconditionalSamples } from './data-source.js';
import { PANEL } from './pictures.js';
import { checkTrainingPoints } from './point-checks.js';

/** Options of a CSV source: the held-out split's seed and the `--no-standardize` / `--keep-outliers` choices. */
export interface CsvSourceOptions {
  seed: number;
  standardize: boolean;
  keepOutliers: boolean;
}

/**
 * A CSV file of points, one per row, in any dimension: checked (`point-checks.ts`), 10 % held out
 * for the test NLL by a seeded shuffle, the rest trained on in epochs, standardised by the
 * training rows' column means and deviations unless `standardize` is off. 2-D points are drawn in
 * the window of `plotRangeAround` (the playground's, for the same points) over their histogram.
 */
export async function openCsvSource(file: string, options: CsvSourceOptions): Promise<DataSource> {
  if (!/\.csv$/i.test(file)) throw new UsageError(`unknown dataset '${file}'; expected one of ${TOY_NAMES.join(', ')}, or a .csv file`);
  const table = await readNumericCsv(file);
  if (table.columns < 2) throw new UsageError(`${file}: needs at least 2 columns (one point per row), found ${table.columns}`);
  if (table.rows < 20) throw new UsageError(`${file}: needs at least 20 rows to train and hold out a test part, found ${table.rows}`);
  checkTrainingPoints(table, file, { keepOutliers: options.keepOutliers, standardize: options.standardize });
  const all = tf.tensor2d(table.values, [table.rows, table.columns]);
  const [train, test] = splitRows(all, 0.1, new Random(options.seed));
  all.dispose();
  const range = table.columns === 2 ? plotRangeAround(table.values) : null;
  return {
    name: file,
    fresh: false,
    size: table.columns,
    standardization: options.standardize ? columnStatistics(await train.data(), table.columns) : null,
    dataPoints: table.columns === 2 ? table.values.subarray(0, 2 * Math.min(table.rows, 5000)) : null,
    labels: 0,
    entropy: null,
    sampleModel: unconditionalSamples,
    pictureModel: (model) => model,
    train: tensorData(train),
    testNll: (model) => meanNegativeLogLikelihoodAsync(model, test),
    target: null,
    range,
    reference: async () => (range ? histogramOnGrid(table.values, range, PANEL) : null),
    dispose: () => tf.dispose([train, test]),
  };
}
