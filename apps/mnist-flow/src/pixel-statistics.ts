import { imageBatches, type ImageView, type RawImages } from '@flows/datasets';
import type { PixelStatistics } from './mnist-model.js';

/** Training images the statistics of a cnf's base are taken from (the first ones, with fixed noise). */
export const STATISTICS_IMAGES = 10_000;

/** The dequantization noise of the statistics: fixed, so that the same images give the same base. */
const STATISTICS_NOISE_SEED = 777;

/**
 * Each pixel's mean and log standard deviation over the first {@link STATISTICS_IMAGES} of
 * `images` (of the first `limit`, with `--limit`) in the model's space (dequantized, and through the logit where `view` says so): the
 * base of an `--architecture cnf` run. Every pixel has spread, since the dequantization noise
 * alone gives it (at least 1/256 of a bin's width over √12); the floor only guards the logarithm.
 */
export async function pixelStatistics(images: RawImages, view: ImageView, limit?: number): Promise<PixelStatistics> {
  const count = Math.min(images.count, limit ?? images.count, STATISTICS_IMAGES);
  const pixels = images.rows * images.cols;
  const sum = new Float64Array(pixels);
  const squares = new Float64Array(pixels);
  for (const batch of imageBatches(images, { batchSize: 1000, view, shuffle: false, noise: 'fixed', noiseSeed: STATISTICS_NOISE_SEED, limit: count })) {
    // Asynchronous: WebGPU in Node cannot read back synchronously.
    const values = await batch.x.data();
    batch.dispose();
    for (let i = 0; i < values.length; i++) {
      const p = i % pixels;
      sum[p] += values[i];
      squares[p] += values[i] * values[i];
    }
  }
  const mean = Array.from(sum, (s) => s / count);
  const logScale = Array.from(squares, (s, p) => 0.5 * Math.log(Math.max(s / count - mean[p] * mean[p], 1e-12)));
  return { mean, logScale };
}
