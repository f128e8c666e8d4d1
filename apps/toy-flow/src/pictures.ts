import * as tf from '@tensorflow/tfjs';
import { densityBackground, densityPicture, drawPoints, encodePng, gridPoints, type Picture, type Range2D, sideBySide } from '@flows/cli-kit';
import type { Distribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';

const PANEL = 320;

/** exp(logProb) on the grid, in batches. */
export async function densityOnGrid(model: Distribution, range: Range2D, size = PANEL): Promise<Float32Array> {
  const points = gridPoints(range, size);
  const out = new Float32Array(size * size);
  const batch = 20_000;
  for (let start = 0; start < size * size; start += batch) {
    const count = Math.min(batch, size * size - start);
    // Read back outside tf.tidy: tidy walks a returned typed array element by element.
    const density = tf.tidy(() => tf.exp(model.uncheckedLogProb(tf.tensor2d(points.subarray(2 * start, 2 * (start + count)), [count, 2]))));
    out.set(await density.data(), start); // asynchronous: WebGPU in Node cannot read synchronously
    density.dispose();
  }
  return out;
}

/** A normalised 2-D histogram of points on the grid (an estimate of the density of sample-only data). */
export function histogramOnGrid(points: ArrayLike<number>, range: Range2D, size = PANEL): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  const out = new Float32Array(size * size);
  const n = points.length / 2;
  const cellArea = ((x1 - x0) / size) * ((y1 - y0) / size);
  for (let i = 0; i < n; i++) {
    const col = Math.floor(((points[2 * i] - x0) / (x1 - x0)) * size);
    const row = Math.floor(((y1 - points[2 * i + 1]) / (y1 - y0)) * size);
    if (col >= 0 && col < size && row >= 0 && row < size) out[row * size + col] += 1 / (n * cellArea);
  }
  return out;
}

function maximum(values: Float32Array): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m || 1;
}

/**
 * `density.png`: the model density (left) beside the reference (right: the true density, or a
 * histogram of the data), on one colour scale set by the reference.
 * `samples.png`: model samples (red) over the reference in grey, and over the data points (blue)
 * when they are given.
 */
export async function writeToyPictures(
  outDir: string,
  model: Distribution,
  reference: Float32Array,
  range: Range2D,
  modelSamples: Float32Array,
  dataPoints: Float32Array | null = null,
): Promise<{ density: string; samples: string }> {
  const { join } = await import('node:path');
  const scale = maximum(reference);
  const modelDensity = await densityOnGrid(model, range);
  const referencePicture = densityPicture(reference, PANEL, scale);
  const density = sideBySide([densityPicture(modelDensity, PANEL, scale), referencePicture]);
  const background: Picture = densityBackground(reference, PANEL, scale);
  // The data (blue) behind the model's samples (red), where the data are points rather than a density.
  if (dataPoints) drawPoints(background, dataPoints, range, [30, 90, 220], 0.45, 1);
  drawPoints(background, modelSamples, range, [200, 0, 30], 0.55, 1);
  const paths = { density: join(outDir, 'density.png'), samples: join(outDir, 'samples.png') };
  await writeFileAtomic(paths.density, await encodePng(density));
  await writeFileAtomic(paths.samples, await encodePng(background));
  return paths;
}
