import { encodePng, imageGrid } from '@flows/cli-kit';
import type { ImageView } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';
import { digitContext, toPixels } from './preprocessing.js';

/**
 * A grid of samples at a temperature, written as PNG: 8 × 8 (or n images) from an unconditional
 * model; from a class-conditional one, `n` samples of `digit`, or without a digit one row per
 * class 0-9 with 8 samples each.
 */
export async function writeSampleGrid(
  model: Distribution,
  view: ImageView,
  path: string,
  options: { n?: number; temperature?: number; seed?: number; digit?: number } = {},
): Promise<void> {
  const conditional = model.contextSize > 0;
  const perRow = 8;
  const n = conditional && options.digit === undefined ? 10 * perRow : (options.n ?? 64);
  const labels = conditional ? Array.from({ length: n }, (_, i) => options.digit ?? Math.floor(i / perRow)) : null;
  const context = labels ? digitContext(labels) : undefined;
  const x = model.sample(n, { random: options.seed ?? 0, temperature: options.temperature ?? 1, context });
  context?.dispose();
  const images = await toPixels(x, view);
  x.dispose();
  const columns = conditional && options.digit === undefined ? perRow : Math.ceil(Math.sqrt(n));
  await writeFileAtomic(path, await encodePng(imageGrid(images, 28, 28, columns, 2)));
}
