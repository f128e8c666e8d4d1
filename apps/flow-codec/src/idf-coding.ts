import * as tf from '@tensorflow/tfjs-core';
import { integerMixtureWindow, integerWindow, type IntegerWindow, popInteger, pushInteger, RansError, RansStack } from '@flows/codec';
import { DiscretizedLogistic, MixtureOfDiscretizedLogistics, type TransformedDistribution } from '@flows/distributions';

/** How many images go through the flow at once: the same blocks on both sides, so both compute the same floats. */
const BLOCK = 500;

/** The base's window per coordinate: built once, since the base is the same for every image. */
function baseWindows(flow: TransformedDistribution): IntegerWindow[] {
  const base = flow.base;
  if (base instanceof MixtureOfDiscretizedLogistics) {
    // [K, D] parameters; coordinate i's mixture is column i.
    const [k, size] = [base.components, base.eventShape[0]];
    const loc = base.loc.dataSync();
    const logScale = base.logScale.dataSync();
    const weights = tf.tidy(() => tf.softmax(tf.transpose(base.logits)).dataSync()); // [D, K]
    return Array.from({ length: size }, (_, i) =>
      integerMixtureWindow(
        weights.subarray(i * k, (i + 1) * k),
        Array.from({ length: k }, (_, j) => loc[j * size + i]),
        Array.from({ length: k }, (_, j) => logScale[j * size + i]),
      ),
    );
  }
  if (!(base instanceof DiscretizedLogistic))
    throw new RangeError(`an integer flow's base must be a discretized logistic or a mixture of them, not ${base.constructor.name}`);
  const loc = base.loc.dataSync();
  const logScale = base.logScale.dataSync();
  return Array.from({ length: loc.length }, (_, i) => integerWindow(loc[i], logScale[i]));
}

/**
 * Codes 8-bit images with an integer discrete flow (Hoogeboom et al. 2019): z = f⁻¹(x) is a vector
 * of integers (the flow is a bijection of ℤ^D), coded coordinate by coordinate under the base's
 * discretized logistic (or mixture of them) with the rANS coder. No bits-back is needed: the code length is −log₂ P(z)
 * = −log₂ P(x), the model's negative log-likelihood, up to quantisation.
 */
export function encodeIdf(
  flow: TransformedDistribution,
  pixels: Uint8Array,
  count: number,
  onProgress?: (done: number, total: number) => void,
): { message: Uint8Array; idealBits: number } {
  const size = pixels.length / count;
  const windows = baseWindows(flow);
  if (windows.length !== size) throw new RangeError(`the flow models ${windows.length} pixels per image; these images have ${size}`);
  const stack = new RansStack();
  let idealBits = 0;
  // Images are pushed last first, so that decoding pops them in order.
  for (let end = count; end > 0; end -= BLOCK) {
    const start = Math.max(0, end - BLOCK);
    const [latents, logProb] = tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(pixels.subarray(start * size, end * size)), [end - start, size]);
      // An integer flow has no log-determinant: log P(x) is the base's log P(z), from the z already computed.
      const z = flow.bijector.inverse(x);
      return [z.dataSync(), flow.base.logProb(z).dataSync()];
    });
    for (let k = latents.length - 1; k >= 0; k--) pushInteger(stack, latents[k], windows[k % size]);
    for (const value of logProb) idealBits -= value / Math.LN2;
    onProgress?.(count - start, count);
  }
  return { message: stack.toBytes(), idealBits };
}

/** Decodes what {@link encodeIdf} wrote, with the same flow: latents popped, then x = f(z) in the same blocks. */
export function decodeIdf(
  flow: TransformedDistribution,
  message: Uint8Array,
  count: number,
  size: number,
  onProgress?: (done: number, total: number) => void,
): Uint8Array {
  const windows = baseWindows(flow);
  if (windows.length !== size) throw new RangeError(`the flow models ${windows.length} pixels per image; the file holds images of ${size}`);
  const stack = RansStack.fromBytes(message);
  const pixels = new Uint8Array(count * size);
  const blockStarts: number[] = [];
  for (let end = count; end > 0; end -= BLOCK) blockStarts.unshift(Math.max(0, end - BLOCK));
  for (const start of blockStarts) {
    const end = Math.min(count, start + BLOCK);
    const latents = new Float32Array((end - start) * size);
    for (let k = 0; k < latents.length; k++) latents[k] = popInteger(stack, windows[k % size]);
    const images = tf.tidy(() => flow.bijector.forward(tf.tensor2d(latents, [end - start, size])).dataSync());
    for (let k = 0; k < images.length; k++) {
      const value = images[k];
      if (!(Number.isInteger(value) && value >= 0 && value <= 255))
        throw new RansError(
          `decoding gave ${value} at pixel ${k % size} of image ${start + Math.floor(k / size)}: the file is corrupt or was written with another model`,
        );
      pixels[start * size + k] = value;
    }
    onProgress?.(end, count);
  }
  if (!stack.isEmpty) throw new RansError('the message has words left after the last image: it is corrupt or holds more than its description says');
  return pixels;
}
