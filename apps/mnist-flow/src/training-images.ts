import { UsageError } from '@flows/cli-kit';
import { loadMnist, type RawImages } from '@flows/datasets';
import { holdOut } from './preprocessing.js';
import { checkImageSize } from './trained-model.js';

/** The images of a run: what it trains on, what it validates on (with --validation), what it tests on. */
export interface TrainingImages {
  train: RawImages;
  /** The last --validation training images, held out; null without --validation. */
  validation: RawImages | null;
  test: RawImages;
}

/**
 * Loads the MNIST training and test images (from `dataDir`, else the embedded package), checks
 * their size, and holds `validation` images out from the end of the first `limit` training
 * images (the limit then applies to neither part again); says what it loaded on stderr.
 */
export async function loadTrainingImages(o: { 'data-dir'?: string; limit?: number; validation: number }): Promise<TrainingImages> {
  const [allTraining, test] = await Promise.all([loadMnist('train', { dataDir: o['data-dir'] }), loadMnist('test', { dataDir: o['data-dir'] })]);
  for (const images of [allTraining, test]) checkImageSize(images, images.source);
  const limit = o.limit;
  const validationCount = o.validation;
  const trainingCount = Math.min(allTraining.count, limit ?? allTraining.count);
  if (validationCount >= trainingCount) throw new UsageError(`--validation ${validationCount} leaves no training images (${trainingCount} available)`);
  const split = validationCount > 0 ? holdOut({ ...allTraining, count: trainingCount }, validationCount) : null;
  console.error(
    `data: ${allTraining.count} train / ${test.count} test images from ${allTraining.source}${limit ? ` (first ${limit} used)` : ''}${split ? `; the last ${validationCount} training images held out for validation` : ''}`,
  );
  return { train: split?.train ?? allTraining, validation: split?.validation ?? null, test };
}
