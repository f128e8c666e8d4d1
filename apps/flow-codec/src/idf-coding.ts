import * as tf from '@tensorflow/tfjs-core';
import { integerMixtureCdfWindow, integerMixtureWindow, integerWindow, type IntegerWindow, popInteger, pushInteger, RansError, RansStack } from '@flows/codec';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  DiscretizedLogistic,
  type Distribution,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';
import { evaluateExactly, type ExactNetwork, exactNetwork } from './exact-network.js';

/** How many images go through the flow at once: the same blocks on both sides, so both compute the same floats. */
const BLOCK = 500;

/** The window of each coordinate of a factorised base: built once, since it is the same for every image. */
function baseWindows(base: Distribution): IntegerWindow[] {
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
    throw new RangeError(
      `an integer flow's base must be a discretized logistic, a mixture of them, or a factor-out with a conditional mixture, not ${base.constructor.name}`,
    );
  const loc = base.loc.dataSync();
  const logScale = base.logScale.dataSync();
  return Array.from({ length: loc.length }, (_, i) => integerWindow(loc[i], logScale[i]));
}

/**
 * What coding needs of a factor-out prior p(z₂ | z₁): its network read out for float64 evaluation
 * and its unconditional parameters, so that encoder and decoder build the same windows on any backend.
 */
interface ConditionalPrior {
  network: ExactNetwork;
  scale: number;
  components: number;
  size: number;
  loc: Float32Array;
  logScale: Float32Array;
  logits: Float32Array;
}

function conditionalPrior(prior: ConditionalMixtureOfDiscretizedLogistics): ConditionalPrior {
  return {
    network: exactNetwork(prior.network),
    scale: prior.scale,
    components: prior.components,
    size: prior.eventShape[0],
    loc: prior.loc.dataSync() as Float32Array,
    logScale: prior.logScale.dataSync() as Float32Array,
    logits: prior.logits.dataSync() as Float32Array,
  };
}

/**
 * The window of each factored coordinate of each row given its kept coordinates: the mixture
 * `μ = μ₀ + Δμ`, `log s = log s₀ + Δlog s`, `π = softmax(ℓ₀ + Δℓ)` of
 * `ConditionalMixtureOfDiscretizedLogistics`, with `[Δμ, Δlog s, Δℓ] = net(z₁ / S)` in float64.
 */
function conditionalWindows(prior: ConditionalPrior, kept: Float32Array, rows: number): IntegerWindow[] {
  const { components: k, size, scale } = prior;
  const raw = evaluateExactly(prior.network, kept, rows, scale); // [rows, 3, K, D]
  const windows: IntegerWindow[] = new Array(rows * size);
  const weights = new Float64Array(k);
  const means = new Float64Array(k);
  const logScales = new Float64Array(k);
  for (let row = 0; row < rows; row++) {
    const at = row * 3 * k * size;
    for (let i = 0; i < size; i++) {
      let largest = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const parameter = j * size + i;
        means[j] = prior.loc[parameter] + raw[at + parameter];
        logScales[j] = prior.logScale[parameter] + raw[at + k * size + parameter];
        weights[j] = prior.logits[parameter] + raw[at + 2 * k * size + parameter];
        largest = Math.max(largest, weights[j]);
      }
      for (let j = 0; j < k; j++) weights[j] = Math.exp(weights[j] - largest);
      windows[row * size + i] = integerMixtureCdfWindow(weights, means, logScales);
    }
  }
  return windows;
}

/** A model's parts prepared once per call: factorised bases' windows and factor-out priors' networks. */
class Coder {
  private readonly bases = new Map<Distribution, IntegerWindow[]>();
  private readonly priors = new Map<ConditionalMixtureOfDiscretizedLogistics, ConditionalPrior>();

  constructor(readonly stack: RansStack) {}

  private windowsOf(base: Distribution): IntegerWindow[] {
    const known = this.bases.get(base);
    if (known) return known;
    const windows = baseWindows(base);
    this.bases.set(base, windows);
    return windows;
  }

  /** The factor-out's prior prepared for coding (a conditional mixture of discretized logistics, the only kind coded). */
  private priorOf(distribution: FactorOutDistribution): ConditionalPrior {
    const prior = distribution.factored;
    if (!(prior instanceof ConditionalMixtureOfDiscretizedLogistics))
      throw new RangeError(`a factor-out prior must be a conditional mixture of discretized logistics, not ${prior.className}`);
    const known = this.priors.get(prior);
    if (known) return known;
    const prepared = conditionalPrior(prior);
    this.priors.set(prior, prepared);
    return prepared;
  }

  /**
   * Pushes `rows` events of `distribution` (row-major integers) and returns their log-probability in
   * nats under the model. A flow codes z = f⁻¹(x) under its base; a factor-out pushes z₂ under
   * p(z₂ | z₁) and then z₁ under its own part, so that decoding pops z₁ first and has it to condition on.
   */
  push(distribution: Distribution, values: Float32Array, rows: number): number {
    if (distribution instanceof TransformedDistribution) {
      // An integer flow has no log-determinant: log P(x) is the base's log P(z).
      const latents = tf.tidy(() => distribution.bijector.inverse(tf.tensor2d(values, [rows, values.length / rows])).dataSync() as Float32Array);
      return this.push(distribution.base, latents, rows);
    }
    if (distribution instanceof FactorOutDistribution) {
      const [kept, factored] = splitRows(values, rows, distribution.keptSize);
      const windows = conditionalWindows(this.priorOf(distribution), kept, rows);
      for (let k = factored.length - 1; k >= 0; k--) pushInteger(this.stack, factored[k], windows[k]);
      const logProb = total(
        tf.tidy(() =>
          distribution.factored.logProb(tf.tensor2d(factored, [rows, factored.length / rows]), tf.tensor2d(kept, [rows, distribution.keptSize])).dataSync(),
        ),
      );
      return logProb + this.push(distribution.kept, kept, rows);
    }
    const windows = this.windowsOf(distribution);
    const size = windows.length;
    for (let k = values.length - 1; k >= 0; k--) pushInteger(this.stack, values[k], windows[k % size]);
    return total(tf.tidy(() => distribution.logProb(tf.tensor2d(values, [rows, size])).dataSync()));
  }

  /** Pops `rows` events of `distribution` pushed by {@link push}, in the reverse order. */
  pop(distribution: Distribution, rows: number): Float32Array {
    if (distribution instanceof TransformedDistribution) {
      const latents = this.pop(distribution.base, rows);
      return tf.tidy(() => distribution.bijector.forward(tf.tensor2d(latents, [rows, latents.length / rows])).dataSync() as Float32Array);
    }
    if (distribution instanceof FactorOutDistribution) {
      const kept = this.pop(distribution.kept, rows);
      const windows = conditionalWindows(this.priorOf(distribution), kept, rows);
      const factored = new Float32Array(windows.length);
      for (let k = 0; k < factored.length; k++) factored[k] = popInteger(this.stack, windows[k]);
      return joinRows(kept, factored, rows);
    }
    const windows = this.windowsOf(distribution);
    const values = new Float32Array(rows * windows.length);
    for (let k = 0; k < values.length; k++) values[k] = popInteger(this.stack, windows[k % windows.length]);
    return values;
  }
}

/** The sum of per-image log-probabilities, in float64. */
function total(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum;
}

/** Row-major [rows, D] split into its first `keptSize` columns and the rest. */
function splitRows(values: Float32Array, rows: number, keptSize: number): [Float32Array, Float32Array] {
  const size = values.length / rows;
  const kept = new Float32Array(rows * keptSize);
  const rest = new Float32Array(rows * (size - keptSize));
  for (let row = 0; row < rows; row++) {
    kept.set(values.subarray(row * size, row * size + keptSize), row * keptSize);
    rest.set(values.subarray(row * size + keptSize, (row + 1) * size), row * (size - keptSize));
  }
  return [kept, rest];
}

/** The inverse of {@link splitRows}. */
function joinRows(kept: Float32Array, rest: Float32Array, rows: number): Float32Array {
  const [keptSize, restSize] = [kept.length / rows, rest.length / rows];
  const values = new Float32Array(kept.length + rest.length);
  for (let row = 0; row < rows; row++) {
    values.set(kept.subarray(row * keptSize, (row + 1) * keptSize), row * (keptSize + restSize));
    values.set(rest.subarray(row * restSize, (row + 1) * restSize), row * (keptSize + restSize) + keptSize);
  }
  return values;
}

/**
 * Codes 8-bit images with an integer discrete flow (Hoogeboom et al. 2019): z = f⁻¹(x) is a vector
 * of integers (the flow is a bijection of ℤ^D), coded coordinate by coordinate with the rANS coder
 * under the base's discretized logistic or mixture of them; a multi-scale flow's factored-out
 * coordinates are coded under their prior given the coordinates that went on, after those. No
 * bits-back is needed: the code length is −log₂ P(x), the model's negative log-likelihood, up to quantisation.
 */
export function encodeIdf(
  flow: TransformedDistribution,
  pixels: Uint8Array,
  count: number,
  onProgress?: (done: number, total: number) => void,
): { message: Uint8Array; idealBits: number } {
  const size = pixels.length / count;
  if (flow.eventSize !== size) throw new RangeError(`the flow models ${flow.eventSize} pixels per image; these images have ${size}`);
  const coder = new Coder(new RansStack());
  let idealBits = 0;
  // Images are pushed last first, so that decoding pops them in order.
  for (let end = count; end > 0; end -= BLOCK) {
    const start = Math.max(0, end - BLOCK);
    idealBits -= coder.push(flow, Float32Array.from(pixels.subarray(start * size, end * size)), end - start) / Math.LN2;
    onProgress?.(count - start, count);
  }
  return { message: coder.stack.toBytes(), idealBits };
}

/** Decodes what {@link encodeIdf} wrote, with the same flow, in the same blocks. */
export function decodeIdf(
  flow: TransformedDistribution,
  message: Uint8Array,
  count: number,
  size: number,
  onProgress?: (done: number, total: number) => void,
): Uint8Array {
  if (flow.eventSize !== size) throw new RangeError(`the flow models ${flow.eventSize} pixels per image; the file holds images of ${size}`);
  const coder = new Coder(RansStack.fromBytes(message));
  const pixels = new Uint8Array(count * size);
  const blockStarts: number[] = [];
  for (let end = count; end > 0; end -= BLOCK) blockStarts.unshift(Math.max(0, end - BLOCK));
  for (const start of blockStarts) {
    const end = Math.min(count, start + BLOCK);
    const images = coder.pop(flow, end - start);
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
  if (!coder.stack.isEmpty) throw new RansError('the message has words left after the last image: it is corrupt or holds more than its description says');
  return pixels;
}
