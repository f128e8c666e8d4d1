import * as tf from '@tensorflow/tfjs-core';
import { Random, assertKnownOptions, optionNames } from '@flows/core';

/**
 * How raw 0-255 pixels become model input.
 * - `dequantized`: `x = v/255 + u/255`, u ~ U[0,1): uniform dequantization at the pixel scale, x in [0, 256/255),
 *   bin width 1/255; stored as float32 and always inside its bin (`floor(255x) = v`).
 * - `logit`: `x = (v + u)/256` in [0, 1), then `y = logit(α + (1 − 2α) x)`; each batch carries
 *   the preprocessing log-det `Σ_j log((1 − 2α) / (s_j (1 − s_j)))`, `s = α + (1 − 2α)x`, so that
 *   `log p(x) = log p(y) + logDet`; bin width 1/256.
 * - `binarized`: 1 where v/255 > 0.5, else 0.
 * - `scaled`: v/255, no noise (for pictures).
 */
export type ImageView = { kind: 'dequantized' } | { kind: 'logit'; alpha: number } | { kind: 'binarized' } | { kind: 'scaled' };

/** The bin width of a view's quantization (for bits per dimension), or null for binary data. */
export function binWidth(view: ImageView): number | null {
  if (view.kind === 'dequantized' || view.kind === 'scaled') return 1 / 255;
  if (view.kind === 'logit') return 1 / 256;
  return null;
}

/** Raw images kept once as bytes. */
export interface RawImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface ImageBatchOptions {
  batchSize: number;
  view: ImageView;
  /** `flat` gives [B, rows·cols]; `image` gives [B, rows, cols, 1]. Default `flat`. */
  shape?: 'flat' | 'image';
  /** Shuffle the order each epoch (default true). */
  shuffle?: boolean;
  /**
   * `fresh`: new dequantization noise every epoch, from `random` (training). `fixed`: noise that
   * depends only on `noiseSeed` and the image index, so evaluation figures compare across epochs
   * and runs. Default `fresh`.
   */
  noise?: 'fresh' | 'fixed';
  /** Seed of the fixed noise (default 0). */
  noiseSeed?: number;
  /** Generator for the shuffle and fresh noise (a seed or a Random). */
  random?: Random | number;
  /** Use only the first `limit` images (after nothing else): handy for quick runs. */
  limit?: number;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
}

/** One batch. It is valid until the iterator advances, which disposes it. */
export interface ImageBatch {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  /** The logit view's preprocessing log-det per image; zeros for other views. */
  logDet: tf.Tensor1D;
  indices: Int32Array;
  dispose(): void;
}

function checkView(view: ImageView): void {
  if (view.kind === 'logit' && !(view.alpha >= 0 && view.alpha < 0.5)) {
    throw new RangeError(`logit view: alpha must be in [0, 0.5), got ${view.alpha}`);
  }
  if (!['dequantized', 'logit', 'binarized', 'scaled'].includes(view.kind)) throw new RangeError(`unknown image view '${(view as ImageView).kind}'`);
}

const IMAGE_BATCH_OPTION_NAMES = optionNames<ImageBatchOptions>()([
  'batchSize',
  'view',
  'shape',
  'shuffle',
  'noise',
  'noiseSeed',
  'random',
  'limit',
  'dropLast',
]);

/**
 * Batches of images built on demand from the raw bytes. Each call of `epoch()` is one pass:
 * a seeded shuffle, then batches of floats in the chosen view. The previous batch is disposed
 * when the next one is requested (and the last when the pass ends), so a loop over it leaks
 * nothing.
 */
export function* imageBatches(data: RawImages, options: ImageBatchOptions): Generator<ImageBatch> {
  assertKnownOptions(options, IMAGE_BATCH_OPTION_NAMES, 'imageBatches');
  const { batchSize, view } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`imageBatches: batchSize must be a positive integer, got ${batchSize}`);
  checkView(view);
  const count = Math.min(data.count, options.limit ?? data.count);
  const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
  const order = new Int32Array(count).map((_, i) => i);
  if (options.shuffle ?? true) random.shuffleInPlace(order);
  const pixels = data.rows * data.cols;
  const shape = options.shape ?? 'flat';
  let previous: ImageBatch | null = null;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      if (size < batchSize && options.dropLast) break;
      const indices = order.subarray(start, start + size);
      previous?.dispose();
      previous = buildBatch(data, indices, view, options, random, pixels, shape);
      yield previous;
    }
  } finally {
    previous?.dispose();
  }
}

const float32Bits = new Float32Array(1);
const float32Integer = new Int32Array(float32Bits.buffer);

/** The float32 next to a positive float32 `x`, one step up (`+1`) or down (`-1`). */
function float32Step(x: number, direction: 1 | -1): number {
  float32Bits[0] = x;
  float32Integer[0] += direction;
  return float32Bits[0];
}

/**
 * For each pixel value v, the float32 interval `[lowest, highest]` of the values x with
 * `v ≤ 255x < v + 1` (checked in double precision): the bin of v in the dequantized view.
 */
const dequantizedBins = Array.from({ length: 256 }, (_, v) => {
  let lowest = Math.fround(v / 255);
  while (lowest * 255 < v) lowest = float32Step(lowest, 1);
  while (lowest > 0 && float32Step(lowest, -1) * 255 >= v) lowest = float32Step(lowest, -1);
  let highest = Math.fround((v + 1) / 255);
  while (highest * 255 >= v + 1) highest = float32Step(highest, -1);
  return { lowest, highest };
});

/**
 * `(v + u)/255` stored as float32 and kept inside v's bin: for u within about 1e-6 of 1 the float32
 * rounding would give (v + 1)/255, outside [0, 256/255) for v = 255 and with floor(255x) = v + 1.
 */
export function dequantizedPixel(v: number, u: number): number {
  const bin = dequantizedBins[v];
  const x = Math.fround((v + u) / 255);
  return Math.min(bin.highest, Math.max(bin.lowest, x));
}

function buildBatch(
  data: RawImages,
  indices: Int32Array,
  view: ImageView,
  options: ImageBatchOptions,
  random: Random,
  pixels: number,
  shape: 'flat' | 'image',
): ImageBatch {
  const size = indices.length;
  const values = new Float32Array(size * pixels);
  const logDet = new Float32Array(size);
  const labels = new Int32Array(size);
  const fixed = options.noise === 'fixed';
  const alpha = view.kind === 'logit' ? view.alpha : 0;
  const logScale = Math.log(1 - 2 * alpha);
  for (let b = 0; b < size; b++) {
    const index = indices[b];
    labels[b] = data.labels[index];
    const offset = index * pixels;
    const noise = fixed ? new Random(((options.noiseSeed ?? 0) * 0x9e3779b1 + index) >>> 0) : random;
    let rowLogDet = 0;
    for (let j = 0; j < pixels; j++) {
      const v = data.images[offset + j];
      const k = b * pixels + j;
      switch (view.kind) {
        case 'dequantized':
          values[k] = dequantizedPixel(v, noise.uniform());
          break;
        case 'scaled':
          values[k] = v / 255;
          break;
        case 'binarized':
          values[k] = v / 255 > 0.5 ? 1 : 0;
          break;
        case 'logit': {
          const s = alpha + (1 - 2 * alpha) * ((v + noise.uniform()) / 256);
          values[k] = Math.log(s) - Math.log1p(-s);
          rowLogDet += logScale - Math.log(s) - Math.log1p(-s);
          break;
        }
      }
    }
    logDet[b] = rowLogDet;
  }
  const x = tf.tensor(values, shape === 'flat' ? [size, pixels] : [size, data.rows, data.cols, 1], 'float32');
  const labelTensor = tf.tensor1d(labels, 'int32');
  const logDetTensor = tf.tensor1d(logDet, 'float32');
  let disposed = false;
  return {
    x,
    labels: labelTensor,
    logDet: logDetTensor,
    indices: Int32Array.from(indices),
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([x, labelTensor, logDetTensor]);
    },
  };
}
