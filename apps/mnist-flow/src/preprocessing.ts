import * as tf from '@tensorflow/tfjs-core';
import { binWidth, type ImageBatch, imageBatches, type ImageView, type RawImages } from '@flows/datasets';
import type { Batch, TrainingData } from '@flows/flows';

/** The view for the app's options: `--logit <alpha>` or the exercise's plain dequantization. */
export function viewFor(logitAlpha: number | undefined): ImageView {
  return logitAlpha === undefined ? { kind: 'dequantized' } : { kind: 'logit', alpha: logitAlpha };
}

/** The bpd formula in use, in words, so the program can print which it uses (`variational`: the bound of --dequantization variational). */
export function describeScaling(view: ImageView, variational = false): string {
  if (variational && view.kind === 'logit')
    return `variational dequantization (Flow++): x = (v + u)/256 with u drawn from the learned q(u|v), y = logit(${view.alpha} + (1 - 2·${view.alpha}) x), log-det counted; bpd of the bound E_q[log p(x) - log q(u|v)], one draw of q per test image: (-bound/784 + log 256)/log 2`;
  return view.kind === 'logit'
    ? `logit preprocessing (Real NVP's): x = (v + U)/256, y = logit(${view.alpha} + (1 - 2·${view.alpha}) x), log-det counted; bpd = (-log p(x)/784 + log 256)/log 2`
    : "the exercise's dequantization: x = v/255 + U/255; bpd = (-log p(x)/784 + log 255)/log 2";
}

export function bin(view: ImageView): number {
  return binWidth(view) ?? 1 / 255;
}

/**
 * Training batches for `fit`: a seeded shuffle and fresh dequantization noise every epoch, both
 * from the generator `fit` passes (so a checkpointed generator state resumes exactly).
 */
export function trainingData(data: RawImages, view: ImageView, limit?: number, conditional = false, shape: 'flat' | 'image' = 'flat'): TrainingData {
  return {
    size: Math.min(data.count, limit ?? data.count),
    *batches(batchSize, random) {
      for (const batch of imageBatches(data, { batchSize, view, random, limit, shape })) yield toBatch(batch, view, conditional);
    },
  };
}

/**
 * Splits off the last `count` images as a validation set (early stopping, as in the MAF paper's
 * protocol), so that the test set is not used to pick an epoch. Views, not copies.
 */
export function holdOut(data: RawImages, count: number): { train: RawImages; validation: RawImages } {
  if (!Number.isInteger(count) || count < 0 || count >= data.count) throw new RangeError(`cannot hold out ${count} of ${data.count} images`);
  const kept = data.count - count;
  const pixels = data.rows * data.cols;
  const part = (from: number, to: number): RawImages => ({
    ...data,
    images: data.images.subarray(from * pixels, to * pixels),
    labels: data.labels.subarray(from, to),
    count: to - from,
  });
  return { train: part(0, kept), validation: part(kept, data.count) };
}

/** The digit classes as one-hot rows: the context of a class-conditional flow. */
export function digitContext(labels: tf.Tensor1D | ArrayLike<number>): tf.Tensor2D {
  return tf.tidy(
    () => tf.cast(tf.oneHot(labels instanceof tf.Tensor ? tf.cast(labels, 'int32') : tf.tensor1d(Array.from(labels), 'int32'), 10), 'float32') as tf.Tensor2D,
  );
}

function toBatch(batch: ImageBatch, view: ImageView, conditional: boolean): Batch {
  // fit disposes what it is given; the batch's own tensors are disposed by the iterator.
  return {
    x: tf.clone(batch.x),
    ...(view.kind === 'logit' ? { logDet: tf.clone(batch.logDet) } : {}),
    ...(conditional ? { context: digitContext(batch.labels) } : {}),
  };
}

/** Test batches with noise fixed by `noiseSeed` and the image index: figures compare across epochs and runs. */
export function testData(
  data: RawImages,
  view: ImageView,
  noiseSeed: number,
  limit?: number,
  conditional = false,
  shape: 'flat' | 'image' = 'flat',
): TrainingData {
  return {
    size: Math.min(data.count, limit ?? data.count),
    *batches(batchSize) {
      for (const batch of imageBatches(data, { batchSize, view, shuffle: false, noise: 'fixed', noiseSeed, limit, shape }))
        yield toBatch(batch, view, conditional);
    },
  };
}

/** Model-space values back to pixel intensities in [0, 1] for pictures. */
export async function toPixels(x: tf.Tensor, view: ImageView): Promise<Float32Array[]> {
  const pixels = tf.tidy(() => tf.clipByValue(view.kind === 'logit' ? tf.div(tf.sub(tf.sigmoid(x), view.alpha), 1 - 2 * view.alpha) : x, 0, 1));
  // Asynchronous: WebGPU in Node cannot read back synchronously.
  const values = (await pixels.data()) as Float32Array;
  pixels.dispose();
  const size = x.size / x.shape[0]; // flat rows or [n, 28, 28, 1] images
  return Array.from({ length: x.shape[0] }, (_, i) => values.slice(i * size, (i + 1) * size));
}

/** The batch layout a model reads: flat rows of 784, or `[28, 28, 1]` images (multi-scale models). */
export function layoutOf(model: { eventShape: readonly number[] }): 'flat' | 'image' {
  return model.eventShape.length === 3 ? 'image' : 'flat';
}
