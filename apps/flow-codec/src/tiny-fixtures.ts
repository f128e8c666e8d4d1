/**
 * For tests: an untrained integer flow and VAE over 4×4 images, saved as flow-codec and vae-eval
 * save theirs, and a folder of three 4×4 PNGs. Untrained models code worse, but exactly, and they
 * are built in milliseconds, so that tests can run the real commands hundreds of times.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Random } from '@flows/core';
import { Adam, integerDiscreteFlow, saveCheckpoint, saveModel, selectBackend } from '@flows/flows';
import { buildVAE } from '@flows/vae-priors';
import { encodePng } from './images.js';

export interface TinyFixtures {
  /** An integer discrete flow over 16 pixels (flow-codec train's layout: `<dir>/model`). */
  idf: string;
  /** A VAE over 16 pixels with a standard normal prior (vae-eval's layout: `<dir>/checkpoint`). */
  vae: string;
  /** A folder of three 4×4 greyscale PNGs, `digit-0.png` … `digit-2.png`. */
  pngs: string;
  names: string[];
  /** The three images' pixels, one after another. */
  pixels: Uint8Array;
}

export async function tinyFixtures(root: string): Promise<TinyFixtures> {
  await selectBackend({ backend: 'cpu' });
  const idf = join(root, 'tiny-idf');
  const flow = integerDiscreteFlow({ size: 16, levels: 1, layers: 1, hidden: [4], mask: 'checkerboard', imageShape: [4, 4], seed: 3 });
  await saveModel(flow, join(idf, 'model'), { app: 'flow-codec' });
  flow.dispose();
  const vae = join(root, 'tiny-vae');
  const model = buildVAE({ prior: 'gaussian', inputSize: 16, latentSize: 2, hidden: [8], seed: 1 });
  const optimizer = new Adam(model.trainableVariables);
  await saveCheckpoint(join(vae, 'checkpoint'), { model, optimizerState: await optimizer.readState(), randomState: new Random(0).getState(), epoch: 1 });
  model.dispose();
  optimizer.dispose();
  const pngs = join(root, 'tiny-pngs');
  await mkdir(pngs, { recursive: true });
  const names = ['digit-0.png', 'digit-1.png', 'digit-2.png'];
  const pixels = Uint8Array.from({ length: 3 * 16 }, (_, k) => (k * 53 + (k >> 4) * 101) % 256);
  for (const [k, name] of names.entries()) await writeFile(join(pngs, name), await encodePng(pixels.subarray(16 * k, 16 * (k + 1)), 4, 4));
  return { idf, vae, pngs, names, pixels };
}
