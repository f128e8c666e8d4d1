import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageView } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { loadCheckpoint, loadModel } from '@flows/flows';
import { UsageError } from '@flows/cli-kit';
import { viewFor } from './preprocessing.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A trained model and the preprocessing it was trained with, from any of: a model directory
 * (`<run>/model`, written at the end of training), a checkpoint directory (`<run>/checkpoint`,
 * written after every epoch, so a long run can be sampled and evaluated while it is still going),
 * or a run directory (its `model/` when training finished, else its `checkpoint/`).
 */
export async function loadTrainedModel(dir: string): Promise<{ model: Distribution; view: ImageView; source: string }> {
  for (const candidate of [dir, join(dir, 'model'), join(dir, 'checkpoint')]) {
    if (await exists(join(candidate, 'model.json'))) {
      const { readFile } = await import('node:fs/promises');
      const json = JSON.parse(await readFile(join(candidate, 'model.json'), 'utf8'));
      const model = await loadModel(candidate);
      checkMnistModel(model, candidate, json.metadata?.app);
      return { model, view: (json.metadata?.view as ImageView) ?? { kind: 'dequantized' }, source: candidate };
    }
    if (await exists(join(candidate, 'checkpoint.json'))) {
      const checkpoint = await loadCheckpoint(candidate);
      checkMnistModel(checkpoint.model, candidate, undefined);
      const settings = (checkpoint.extra.settings ?? {}) as { logit?: number | null };
      return { model: checkpoint.model, view: viewFor(settings.logit ?? undefined), source: `${candidate} (epoch ${checkpoint.epoch})` };
    }
  }
  // Nothing recognisable: let loadModel name the problem with the path as given.
  const model = await loadModel(dir);
  checkMnistModel(model, dir, undefined);
  return { model, view: { kind: 'dequantized' }, source: dir };
}

/** The pixels of the images mnist-flow models: 28 × 28 × 1. */
export const MNIST_PIXELS = 784;

/** A model of something other than 28 × 28 images (a toy-flow model, say) is named as such, not sampled into a black grid. */
function checkMnistModel(model: Distribution, where: string, app: unknown): void {
  if (model.eventSize === MNIST_PIXELS) return;
  model.dispose();
  const maker = typeof app === 'string' && app !== 'mnist-flow' ? ` (made by ${app})` : '';
  throw new UsageError(
    `${where}: this is a model of ${model.eventSize}-dimensional data${maker}; mnist-flow works with models of 28×28 images (${MNIST_PIXELS} dimensions)`,
  );
}

/** Data images must have the size the model was trained on. */
export function checkImageSize(images: { rows: number; cols: number; source?: string }, where: string): void {
  if (images.rows * images.cols !== MNIST_PIXELS) {
    throw new UsageError(`${where}: the images are ${images.rows}×${images.cols}, but mnist-flow models are of 28×28 images`);
  }
}
