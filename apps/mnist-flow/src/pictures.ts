import { encodePng, imageGrid } from '@flows/cli-kit';
import type { ImageView } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';
import { toPixels } from './preprocessing.js';

/** An 8 × 8 (or n-image) grid of samples at a temperature, written as PNG. */
export async function writeSampleGrid(model: Distribution, view: ImageView, path: string, options: { n?: number; temperature?: number; seed?: number } = {}): Promise<void> {
  const n = options.n ?? 64;
  const x = model.sample(n, { random: options.seed ?? 0, temperature: options.temperature ?? 1 });
  const images = toPixels(x, view);
  x.dispose();
  await writeFileAtomic(path, await encodePng(imageGrid(images, 28, 28, Math.ceil(Math.sqrt(n)), 2)));
}
