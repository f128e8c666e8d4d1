import * as tf from '@tensorflow/tfjs-core';
import {
  exactExp,
  integerMixtureCdfWindow,
  integerMixtureWindow,
  integerWindow,
  type IntegerWindow,
  popInteger,
  pushInteger,
  RansError,
  RansStack,
  roundHalfToEven,
} from '@flows/codec';
import type { Bijector } from '@flows/core';
import { Chain, FactorOut, IntegerAdditiveCoupling, Permute, Reshape, Squeeze } from '@flows/bijectors';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  DiscretizedLogistic,
  type Distribution,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';
import { ConvNet, MLP } from '@flows/networks';
import {
  evaluateConvExactly,
  evaluateExactly,
  type ExactConvNetwork,
  exactConvNetwork,
  type ExactNetwork,
  exactNetwork,
  restrictNetwork,
} from './exact-network.js';

/**
 * How many images go through the flow at once. The exact path computes every image on its own (the
 * same numbers in any block), so this only bounds memory and paces the progress bar; encoder and
 * decoder still use the same blocks, the order in which the message holds the images.
 */
const BLOCK = 500;

/**
 * The window of each coordinate of a factorised base: built once, since it is the same for every
 * image. The mixture weights are the softmax of the logits in float64 with `@flows/codec`'s exact
 * exp (not the backend's float32 softmax), so that every backend builds the same tables.
 */
function baseWindows(base: Distribution): IntegerWindow[] {
  if (base instanceof MixtureOfDiscretizedLogistics) {
    // [K, D] parameters; coordinate i's mixture is column i.
    const [k, size] = [base.components, base.eventShape[0]];
    const loc = base.loc.dataSync();
    const logScale = base.logScale.dataSync();
    const logits = base.logits.dataSync();
    return Array.from({ length: size }, (_, i) => {
      let largest = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) largest = Math.max(largest, logits[j * size + i]);
      return integerMixtureWindow(
        Array.from({ length: k }, (_, j) => exactExp(logits[j * size + i] - largest)),
        Array.from({ length: k }, (_, j) => loc[j * size + i]),
        Array.from({ length: k }, (_, j) => logScale[j * size + i]),
      );
    });
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
 * The windows of the factored coordinates of `rows` rows given their kept coordinates: the mixture
 * `μ = μ₀ + Δμ`, `log s = log s₀ + Δlog s`, `π = softmax(ℓ₀ + Δℓ)` of
 * `ConditionalMixtureOfDiscretizedLogistics`, with `[Δμ, Δlog s, Δℓ] = net(z₁ / S)` in float64.
 * `window(n)` builds the window of coordinate n (row-major) when a push or pop needs it, so that
 * each lives only as long as its symbol's coding (a block's 300 000 windows held at once cost more
 * in garbage collection than building them).
 */
function conditionalWindows(prior: ConditionalPrior, kept: Float64Array, rows: number): { count: number; window(n: number): IntegerWindow } {
  const { components: k, size, scale } = prior;
  const raw = evaluateExactly(prior.network, kept, rows, scale); // [rows, 3, K, D]
  const weights = new Float64Array(k);
  const means = new Float64Array(k);
  const logScales = new Float64Array(k);
  return {
    count: rows * size,
    window(n: number): IntegerWindow {
      const i = n % size;
      const at = (n - i) * 3 * k;
      let largest = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const parameter = j * size + i;
        means[j] = prior.loc[parameter] + raw[at + parameter];
        logScales[j] = prior.logScale[parameter] + raw[at + k * size + parameter];
        weights[j] = prior.logits[parameter] + raw[at + 2 * k * size + parameter];
        largest = Math.max(largest, weights[j]);
      }
      for (let j = 0; j < k; j++) weights[j] = exactExp(weights[j] - largest);
      return integerMixtureCdfWindow(weights, means, logScales);
    },
  };
}

/** One layer of an integer flow as the exact path runs it: a permutation, or an integer additive coupling with a dense or convolutional shift network. */
type ExactLayer =
  | { kind: 'permute'; order: Int32Array }
  | { kind: 'coupling'; kept: Int32Array; shifted: Int32Array; network: ExactNetwork; scale: number }
  | { kind: 'conv-coupling'; kept: Int32Array; shifted: Int32Array; network: ExactConvNetwork; shape: number[]; scale: number };

/**
 * The order of a bijector that only moves values (a squeeze, a reshape, a factor-out's split):
 * `forward` maps base position `order[i]` to data position i, read off by sending the positions
 * themselves through it (integers below 2^24, exact in float32).
 */
export function permutationOrder(bijector: Bijector): Int32Array {
  const baseShape = bijector.eventShape as number[];
  const size = baseShape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => Int32Array.from(bijector.forward(tf.reshape(tf.range(0, size, 1, 'float32'), [1, ...baseShape])).dataSync()));
}

/** Whether a bijector only moves values: squeezes, reshapes, and factor-outs whose inner flow only moves them. */
export function movesOnly(bijector: Bijector): boolean {
  if (bijector instanceof Squeeze || bijector instanceof Reshape) return true;
  if (bijector instanceof FactorOut) return movesOnly(bijector.inner);
  if (bijector instanceof Chain) return bijector.bijectors.every(movesOnly);
  return false;
}

/**
 * The layers of an integer flow's bijector (chains flattened, sampling order), or a RangeError
 * naming what the exact path cannot compute. A coupling's network is restricted to the coordinates
 * it reads and writes ({@link restrictNetwork}).
 */
function exactLayers(bijector: Bijector): ExactLayer[] {
  if (bijector instanceof Chain) return bijector.bijectors.flatMap((layer) => exactLayers(layer));
  if (bijector instanceof Permute) return [{ kind: 'permute', order: Int32Array.from(bijector.order) }];
  if (bijector instanceof Reshape) return []; // flat rows either way
  if (movesOnly(bijector)) return [{ kind: 'permute', order: permutationOrder(bijector) }];
  if (bijector instanceof IntegerAdditiveCoupling && bijector.shiftNetwork instanceof ConvNet) {
    if (bijector.contextSize > 0) throw new RangeError('the exact path computes integer couplings without a context only');
    const kept = Int32Array.from(bijector.mask.flatMap((b, i) => (b === 1 ? [i] : [])));
    const shifted = Int32Array.from(bijector.mask.flatMap((b, i) => (b === 1 ? [] : [i])));
    return [{ kind: 'conv-coupling', kept, shifted, network: exactConvNetwork(bijector.shiftNetwork), shape: [...bijector.eventShape], scale: bijector.scale }];
  }
  if (bijector instanceof IntegerAdditiveCoupling) {
    const network = bijector.shiftNetwork;
    if (!(network instanceof MLP))
      throw new RangeError(`an integer coupling's shift network is a ${network.className}; the exact path computes MLP shift networks only`);
    if (bijector.contextSize > 0 || bijector.eventShape.length !== 1)
      throw new RangeError('the exact path computes integer couplings over flat vectors without a context only');
    const kept = Int32Array.from(bijector.mask.flatMap((b, i) => (b === 1 ? [i] : [])));
    const shifted = Int32Array.from(bijector.mask.flatMap((b, i) => (b === 1 ? [] : [i])));
    return [{ kind: 'coupling', kept, shifted, network: restrictNetwork(exactNetwork(network), kept, shifted), scale: bijector.scale }];
  }
  throw new RangeError(
    `the exact path computes integer couplings and bijectors that only move values (permutations, squeezes, splits), not ${bijector.className}`,
  );
}

/**
 * Runs the layers on `rows` integer vectors of width `size`, in place: forward (base to data, the
 * sampling direction, decoding) or inverse (data to base, encoding). A coupling adds (or takes away)
 * `⌊S · m(x_kept / S)⌉` on its other coordinates, m evaluated in float64 and rounded half to even as
 * `tf.round` does; its kept coordinates are the same on both sides, so the shift is too.
 */
function runLayers(layers: readonly ExactLayer[], values: Float64Array, rows: number, size: number, direction: 'forward' | 'inverse'): Float64Array {
  let current = values;
  for (let n = 0; n < layers.length; n++) {
    const layer = layers[direction === 'forward' ? n : layers.length - 1 - n];
    if (layer.kind === 'permute') {
      const next = new Float64Array(current.length);
      const { order } = layer;
      for (let row = 0; row < rows; row++)
        for (let i = 0; i < size; i++) {
          // forward: y_i = x_{order_i}; inverse: x_{order_i} = y_i.
          if (direction === 'forward') next[row * size + i] = current[row * size + order[i]];
          else next[row * size + order[i]] = current[row * size + i];
        }
      current = next;
      continue;
    }
    const sign = direction === 'forward' ? 1 : -1;
    if (layer.kind === 'conv-coupling') {
      // The network sees the whole image with the shifted positions at 0 (b⊙x), and shifts those positions.
      const { kept, shifted, network, shape, scale } = layer;
      const input = new Float64Array(rows * size);
      for (let row = 0; row < rows; row++) for (let k = 0; k < kept.length; k++) input[row * size + kept[k]] = current[row * size + kept[k]];
      const raw = evaluateConvExactly(network, input, rows, shape[0], shape[1], scale);
      for (let row = 0; row < rows; row++)
        for (let k = 0; k < shifted.length; k++) current[row * size + shifted[k]] += sign * roundHalfToEven(raw[row * size + shifted[k]] * scale);
      continue;
    }
    const { kept, shifted, network, scale } = layer;
    const input = new Float64Array(rows * kept.length);
    for (let row = 0; row < rows; row++) for (let k = 0; k < kept.length; k++) input[row * kept.length + k] = current[row * size + kept[k]];
    const raw = evaluateExactly(network, input, rows, scale);
    for (let row = 0; row < rows; row++)
      for (let k = 0; k < shifted.length; k++) current[row * size + shifted[k]] += sign * roundHalfToEven(raw[row * shifted.length + k] * scale);
  }
  return current;
}

/** An integer flow compiled for the exact path: its layers, its factor-out priors and its bases' windows, with the distributions they came from (for the ideal length). */
type ExactModel =
  | { kind: 'flow'; source: TransformedDistribution; layers: ExactLayer[]; base: ExactModel }
  | { kind: 'factor-out'; source: FactorOutDistribution; prior: ConditionalPrior; kept: ExactModel }
  | { kind: 'base'; source: Distribution; windows: IntegerWindow[] };

/**
 * Reads an integer flow's weights and parameters once into the exact path, or throws a RangeError
 * that names what it cannot compute (another bijector, a convolutional shift network, another prior).
 */
export function compileIntegerFlow(distribution: Distribution): ExactModel {
  if (distribution instanceof TransformedDistribution)
    return { kind: 'flow', source: distribution, layers: exactLayers(distribution.bijector), base: compileIntegerFlow(distribution.base) };
  if (distribution instanceof FactorOutDistribution) {
    const prior = distribution.factored;
    if (!(prior instanceof ConditionalMixtureOfDiscretizedLogistics))
      throw new RangeError(`a factor-out prior must be a conditional mixture of discretized logistics, not ${prior.className}`);
    return { kind: 'factor-out', source: distribution, prior: conditionalPrior(prior), kept: compileIntegerFlow(distribution.kept) };
  }
  return { kind: 'base', source: distribution, windows: baseWindows(distribution) };
}

/** Codes with a compiled integer flow: every number that decides a symbol comes from the exact path, never from the backend. */
class Coder {
  constructor(readonly stack: RansStack) {}

  /**
   * Pushes `rows` events (row-major integers) and returns their log-probability in nats under the
   * model (the backend's float32 logProb, a report only). A flow codes z = f⁻¹(x) under its base; a
   * factor-out pushes z₂ under p(z₂ | z₁) and then z₁ under its own part, so that decoding pops z₁
   * first and has it to condition on.
   */
  push(model: ExactModel, values: Float64Array, rows: number): number {
    const size = values.length / rows;
    if (model.kind === 'flow') return this.push(model.base, runLayers(model.layers, values, rows, size, 'inverse'), rows);
    if (model.kind === 'factor-out') {
      const keptSize = model.source.keptSize;
      const [kept, factored] = splitRows(values, rows, keptSize);
      const windows = conditionalWindows(model.prior, kept, rows);
      for (let k = factored.length - 1; k >= 0; k--) pushInteger(this.stack, factored[k], windows.window(k));
      const logProb = total(
        tf.tidy(() =>
          model.source.factored
            .logProb(tf.tensor2d(Float32Array.from(factored), [rows, size - keptSize]), tf.tensor2d(Float32Array.from(kept), [rows, keptSize]))
            .dataSync(),
        ),
      );
      return logProb + this.push(model.kept, kept, rows);
    }
    const { windows } = model;
    for (let k = values.length - 1; k >= 0; k--) pushInteger(this.stack, values[k], windows[k % size]);
    return total(tf.tidy(() => model.source.logProb(tf.tensor2d(Float32Array.from(values), [rows, size])).dataSync()));
  }

  /** Pops `rows` events pushed by {@link push}, in the reverse order. */
  pop(model: ExactModel, rows: number): Float64Array {
    if (model.kind === 'flow') {
      const latents = this.pop(model.base, rows);
      return runLayers(model.layers, latents, rows, latents.length / rows, 'forward');
    }
    if (model.kind === 'factor-out') {
      const kept = this.pop(model.kept, rows);
      const windows = conditionalWindows(model.prior, kept, rows);
      const factored = new Float64Array(windows.count);
      for (let k = 0; k < factored.length; k++) factored[k] = popInteger(this.stack, windows.window(k));
      return joinRows(kept, factored, rows);
    }
    const { windows } = model;
    const values = new Float64Array(rows * windows.length);
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
function splitRows(values: Float64Array, rows: number, keptSize: number): [Float64Array, Float64Array] {
  const size = values.length / rows;
  const kept = new Float64Array(rows * keptSize);
  const rest = new Float64Array(rows * (size - keptSize));
  for (let row = 0; row < rows; row++) {
    kept.set(values.subarray(row * size, row * size + keptSize), row * keptSize);
    rest.set(values.subarray(row * size + keptSize, (row + 1) * size), row * (size - keptSize));
  }
  return [kept, rest];
}

/** The inverse of {@link splitRows}. */
function joinRows(kept: Float64Array, rest: Float64Array, rows: number): Float64Array {
  const [keptSize, restSize] = [kept.length / rows, rest.length / rows];
  const values = new Float64Array(kept.length + rest.length);
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
 *
 * Every number that decides a symbol (the couplings' rounded shifts, the priors' and the bases'
 * windows) comes from the exact path ({@link compileIntegerFlow}: float64 in a fixed order, exact
 * exp), never from the backend's float32 kernels, so the file decodes byte for byte on any backend,
 * kernel set, CPU and JavaScript engine. Only the returned ideal length is the backend's logProb.
 */
export function encodeIdf(
  flow: TransformedDistribution,
  pixels: Uint8Array,
  count: number,
  onProgress?: (done: number, total: number) => void,
): { message: Uint8Array; idealBits: number; codedBits: number } {
  const size = pixels.length / count;
  if (flow.eventSize !== size) throw new RangeError(`the flow models ${flow.eventSize} pixels per image; these images have ${size}`);
  const model = compileIntegerFlow(flow);
  const coder = new Coder(new RansStack());
  let idealBits = 0;
  // Images are pushed last first, so that decoding pops them in order.
  for (let end = count; end > 0; end -= BLOCK) {
    const start = Math.max(0, end - BLOCK);
    idealBits -= coder.push(model, Float64Array.from(pixels.subarray(start * size, end * size)), end - start) / Math.LN2;
    onProgress?.(count - start, count);
  }
  const words = coder.stack.toWords();
  // What the images added to the message: its information (its words and log₂ of its final state) less the empty stack's 32 bits.
  const state = words[words.length - 2] * 2 ** 32 + words[words.length - 1];
  const codedBits = 32 * (words.length - 2) + Math.log2(state) - 32;
  return { message: coder.stack.toBytes(), idealBits, codedBits };
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
  const model = compileIntegerFlow(flow);
  const coder = new Coder(RansStack.fromBytes(message));
  const pixels = new Uint8Array(count * size);
  const blockStarts: number[] = [];
  for (let end = count; end > 0; end -= BLOCK) blockStarts.unshift(Math.max(0, end - BLOCK));
  for (const start of blockStarts) {
    const end = Math.min(count, start + BLOCK);
    const images = coder.pop(model, end - start);
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
