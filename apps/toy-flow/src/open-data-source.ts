import { TOY_NAMES } from '@flows/datasets';
import { openCsvSource } from './csv-source.js';
import type { DataSource } from './data-source.js';
import { openLabelledToySource } from './labelled-toy-source.js';
import { openToySource } from './toy-source.js';

/** The source `--data` names: a toy (labelled with `--conditional`), or a CSV file. */
export function openDataSource(
  data: string,
  options: { conditional: boolean; trainSize: number; testSize: number; seed: number; standardize: boolean; keepOutliers: boolean },
): Promise<DataSource> | DataSource {
  const { trainSize, testSize, seed } = options;
  if (options.conditional) return openLabelledToySource(data, { trainSize, testSize, seed });
  if (TOY_NAMES.includes(data)) return openToySource(data, { trainSize, testSize, seed });
  return openCsvSource(data, { seed, standardize: options.standardize, keepOutliers: options.keepOutliers });
}
