import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageView } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { loadCheckpoint, loadModel } from '@flows/flows';
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
      return { model, view: (json.metadata?.view as ImageView) ?? { kind: 'dequantized' }, source: candidate };
    }
    if (await exists(join(candidate, 'checkpoint.json'))) {
      const checkpoint = await loadCheckpoint(candidate);
      const settings = (checkpoint.extra.settings ?? {}) as { logit?: number | null };
      return { model: checkpoint.model, view: viewFor(settings.logit ?? undefined), source: `${candidate} (epoch ${checkpoint.epoch})` };
    }
  }
  // Nothing recognisable: let loadModel name the problem with the path as given.
  return { model: await loadModel(dir), view: { kind: 'dequantized' }, source: dir };
}
