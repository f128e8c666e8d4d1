import {
  exactExp,
  exactLog,
  exactSigmoid,
  exactTanh,
  MAX_INITIAL_WORDS,
  type MonotoneMap,
  popBaseSide,
  popDataSide,
  popScaled,
  pushBaseSide,
  pushDataSide,
  pushScaled,
  RansError,
  RansStack,
  SeedStream,
} from '@flows/codec';
import type { Bijector } from '@flows/core';
import { ActNorm, Chain, FactorOut, InvertibleConv1x1, MaskedAffineCoupling, Reshape, Squeeze } from '@flows/bijectors';
import { ConvConditionalNormal, DiagonalNormal, type Distribution, FactorOutDistribution, StandardNormal, TransformedDistribution } from '@flows/distributions';
import { ConvNet } from '@flows/networks';
import { evaluateConvExactly, type ExactConvNetwork, exactConvNetwork } from './exact-network.js';
import { movesOnly, permutationOrder } from './idf-coding.js';

/*
 * Local bits-back coding (Ho, Lohn and Abbeel, "Compression with flows via local bits-back coding",
 * NeurIPS 2019) of 8-bit images under a continuous multi-scale flow trained on dequantized pixels
 * with Real NVP's logit preprocessing (mnist-flow's `--architecture multiscale`, the shipped
 * `mnist-multiscale`). Per image, in the data → base direction:
 *
 * 1. dequantization: pop u ~ U{0 … 2^16 − 1} (bits back: 16 per pixel), a = 2^16·v + u, the
 *    pixel v + u/2^16 on a lattice of 2^−16 pixel units;
 * 2. the logit y = logit(α + (1 − 2α)·a/2^24), one curved step per pixel (`@flows/codec`'s
 *    `popBaseSide`, then `pushDataSide`) onto the model's lattice of 2^−16;
 * 3. every layer as steps of one coordinate: an affine coupling (given the coordinates it keeps,
 *    which the decoder has first), and an ActNorm with the upper triangular factor U of the 1 × 1
 *    convolution after it (`W = P L U`), are affine in each coordinate given values the decoder
 *    knows, so each costs exactly its log-det; the lower factor L, with its unit diagonal, is a
 *    shift by whole bins (log-det 0, no bits); squeezes, reshapes and factor-outs only move values;
 * 4. the base: a factor-out's channels under their conditional prior given the kept ones (pushed
 *    before the kept ones go on, so that a decoder has the context first), the last level under its
 *    diagonal normal, on the lattice.
 *
 * An image costs about −log₂ p(v + u/2^16) summed over pixels with u uniform: the flow's
 * dequantized bits/dim with the logit's log-det counted, plus the kernels' small losses. Every
 * number that decides a symbol comes from the exact path (float64, fixed order, `@flows/codec`'s
 * exp, log, tanh and sigmoid; the networks by {@link evaluateConvExactly}), so files decode the
 * same on every backend and engine.
 */

/** The model's lattice: values in bins of 2^−16. */
export const MODEL_BITS = 16;
/** Bins per unit on the model's lattice. */
const MODEL_UNIT = 2 ** MODEL_BITS;
/** Bits of dequantization noise per pixel. */
export const DEQUANTIZATION_BITS = 16;
const PIXEL_UNIT = 2 ** DEQUANTIZATION_BITS;

/** One layer as the exact path computes it. */
export type Layer =
  | { kind: 'permute'; order: Int32Array }
  | { kind: 'actnorm'; channels: number; slopes: Float64Array; offsets: Float64Array }
  | {
      kind: 'conv1x1';
      channels: number;
      permutation: Int32Array;
      lower: Float64Array;
      upper: Float64Array;
      /** The ActNorm before it (y = a·x + b per channel, in bins), merged into its upper factor's steps; a = 1, b = 0 without one. */
      inputSlopes: Float64Array;
      inputOffsets: Float64Array;
    }
  | {
      kind: 'coupling';
      shape: [number, number, number];
      mask: Uint8Array;
      scale: ExactConvNetwork;
      translation: ExactConvNetwork;
      factor: Float64Array | null;
      tanh: boolean;
      /** The coordinates it transforms (mask 0), ascending. */
      transformed: Int32Array;
    };

type Base =
  | { kind: 'normal'; means: Float64Array; scales: Float64Array }
  | {
      kind: 'factor-out';
      keptSize: number;
      kept: CompiledFlow;
      factored: { network: ExactConvNetwork; shape: [number, number, number]; contextChannels: number };
    };

/** A flow compiled for the exact path: its layers in the data → base order, and its base. */
export interface CompiledFlow {
  size: number;
  layers: Layer[];
  base: Base;
}

function values(tensor: { dataSync(): ArrayLike<number> }): Float64Array {
  return Float64Array.from(tensor.dataSync());
}

function compileLayers(bijector: Bijector): Layer[] {
  // The density order: a chain's last bijector meets the data first.
  if (bijector instanceof Chain) return [...bijector.bijectors].reverse().flatMap((layer) => compileLayers(layer));
  if (bijector instanceof Reshape) return [];
  if (bijector instanceof Squeeze || (bijector instanceof FactorOut && movesOnly(bijector))) return [{ kind: 'permute', order: permutationOrder(bijector) }];
  if (bijector instanceof ActNorm) {
    const logScales = values(bijector.logScale);
    const biases = values(bijector.bias);
    const slopes = logScales.map((s) => exactExp(-s));
    return [{ kind: 'actnorm', channels: logScales.length, slopes, offsets: biases.map((b, c) => -b * slopes[c] * MODEL_UNIT) }];
  }
  if (bijector instanceof InvertibleConv1x1) {
    const linear = bijector.linear;
    const n = linear.eventShape[0];
    const lower = values(linear.lower);
    const upper = values(linear.upper);
    const logScales = values(linear.logScale);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) lower[i * n + j] = j === i ? 1 : lower[i * n + j];
      for (let j = i + 1; j < n; j++) lower[i * n + j] = 0;
      for (let j = 0; j < i; j++) upper[i * n + j] = 0;
      upper[i * n + i] = exactExp(logScales[i]);
    }
    return [
      {
        kind: 'conv1x1',
        channels: n,
        permutation: Int32Array.from(linear.permutation),
        lower,
        upper,
        inputSlopes: new Float64Array(n).fill(1),
        inputOffsets: new Float64Array(n),
      },
    ];
  }
  if (bijector instanceof MaskedAffineCoupling) {
    const { scaleNetwork, translationNetwork } = bijector;
    if (!(scaleNetwork instanceof ConvNet && translationNetwork instanceof ConvNet) || bijector.eventShape.length !== 3)
      throw new RangeError(
        `local bits-back coding computes affine couplings over images with convolutional networks only (ConvNet; this coupling's are ${scaleNetwork.className} and ${translationNetwork.className})`,
      );
    if (bijector.contextSize > 0) throw new RangeError('local bits-back coding computes couplings without a context only');
    return [
      {
        kind: 'coupling',
        shape: [...bijector.eventShape] as [number, number, number],
        mask: Uint8Array.from(bijector.mask),
        transformed: Int32Array.from(Array.from(bijector.mask).flatMap((b, i) => (b === 0 ? [i] : []))),
        scale: exactConvNetwork(scaleNetwork, { float32: true }),
        translation: exactConvNetwork(translationNetwork, { float32: true }),
        factor: bijector.scaleFactor ? values(bijector.scaleFactor) : null,
        tanh: bijector.scaleTanh,
      },
    ];
  }
  throw new RangeError(`local bits-back coding cannot compute a ${bijector.constructor.name} exactly`);
}

function compileBase(distribution: Distribution): Base {
  const size = distribution.eventShape.reduce((a, b) => a * b, 1);
  if (distribution instanceof StandardNormal) return { kind: 'normal', means: new Float64Array(size), scales: new Float64Array(size).fill(MODEL_UNIT) };
  if (distribution instanceof DiagonalNormal)
    return {
      kind: 'normal',
      means: values(distribution.mean).map((m) => m * MODEL_UNIT),
      scales: values(distribution.logScale).map((s) => exactExp(s) * MODEL_UNIT),
    };
  if (distribution instanceof FactorOutDistribution && distribution.factored instanceof ConvConditionalNormal) {
    const config = distribution.factored.getConfig();
    return {
      kind: 'factor-out',
      keptSize: distribution.keptSize,
      kept: compileFlow(distribution.kept),
      factored: {
        network: exactConvNetwork(distribution.factored.network, { float32: true }),
        shape: [config.shape[0], config.shape[1], config.shape[2]],
        contextChannels: config.contextChannels,
      },
    };
  }
  throw new RangeError(`local bits-back coding cannot code under a ${distribution.constructor.name} base`);
}

/**
 * Each ActNorm that meets a 1 × 1 convolution of its channels next (Glow's step: ActNorm, then the
 * convolution, then the coupling) folded into it: the two are one affine map per coordinate given
 * the decoder's values, so one local bits-back step instead of two, and one step's overheads.
 */
function mergeActNorms(layers: Layer[]): Layer[] {
  const merged: Layer[] = [];
  for (let k = 0; k < layers.length; k++) {
    const layer = layers[k];
    const next = layers[k + 1];
    if (layer.kind === 'actnorm' && next?.kind === 'conv1x1' && next.channels === layer.channels) {
      merged.push({ ...next, inputSlopes: layer.slopes, inputOffsets: layer.offsets });
      k++;
    } else merged.push(layer);
  }
  return merged;
}

/**
 * The flow as the exact path computes it, or a RangeError naming what it cannot compute: a
 * `TransformedDistribution` of squeezes, reshapes, factor-outs, ActNorms, 1 × 1 convolutions and
 * convolutional affine couplings over a standard or diagonal normal, levels nested through
 * `FactorOutDistribution`s with `ConvConditionalNormal` priors (or a bare such base).
 */
export function compileFlow(distribution: Distribution): CompiledFlow {
  const size = distribution.eventShape.reduce((a, b) => a * b, 1);
  if (distribution instanceof TransformedDistribution)
    return { size, layers: mergeActNorms(compileLayers(distribution.bijector)), base: compileBase(distribution.base) };
  return { size, layers: [], base: compileBase(distribution) };
}

/** The coupling's slopes and offsets (bins) for its transformed coordinates, from the kept ones. */
function couplingSteps(layer: Extract<Layer, { kind: 'coupling' }>, state: Float64Array): { slopes: Float64Array; offsets: Float64Array } {
  const [h, w, c] = layer.shape;
  const masked = new Float64Array(h * w * c);
  for (let i = 0; i < masked.length; i++) if (layer.mask[i] === 1) masked[i] = state[i];
  const raw = evaluateConvExactly(layer.scale, masked, 1, h, w, MODEL_UNIT);
  const shift = evaluateConvExactly(layer.translation, masked, 1, h, w, MODEL_UNIT);
  const slopes = new Float64Array(masked.length);
  const offsets = new Float64Array(masked.length);
  for (let i = 0; i < masked.length; i++) {
    if (layer.mask[i] === 1) continue;
    let s = layer.tanh ? exactTanh(raw[i]) : raw[i];
    if (layer.factor) s *= layer.factor[i];
    // Data → base: x = (y − t)·e^(−s), per bin.
    slopes[i] = exactExp(-s);
    offsets[i] = -shift[i] * slopes[i] * MODEL_UNIT;
  }
  return { slopes, offsets };
}

function checkedSteps(slopes: Float64Array): void {
  for (const slope of slopes)
    if (!(slope >= 0 && Number.isFinite(slope))) throw new RangeError('the flow computes a non-finite scale: its weights are not usable');
}

/** An affine step y = k·x + b (k > 0) as a {@link MonotoneMap} whose k and b are set per coordinate: one object for every step, the same arithmetic as `affineMap`. */
class AffineStep implements MonotoneMap {
  k = 1;
  b = 0;
  forward(x: number): number {
    return this.k * x + this.b;
  }
  inverse(y: number): number {
    return (y - this.b) / this.k;
  }
  slope(): number {
    return this.k;
  }
}

/**
 * One layer's steps through its coordinates: `affine(i, data, step)` sets coordinate i's affine map
 * given the data-side values the decoder has when it pops coordinate i (`coordinates` is the
 * encoder's order of pops and pushes; the decoder runs both backwards, pops of x first).
 */
interface LayerSteps {
  coordinates: Int32Array;
  affine(i: number, data: Float64Array, step: AffineStep): void;
}

const STEP = new AffineStep();
/** Each coordinate's slope and offset within a layer, kept from its pops for its pushes (grown as needed). */
let stepSlopes = new Float64Array(0);
let stepOffsets = new Float64Array(0);

function stepScratch(length: number): void {
  if (stepSlopes.length >= length) return;
  stepSlopes = new Float64Array(length);
  stepOffsets = new Float64Array(length);
}

/** Encoder: pops every coordinate's base-side value, then pushes every data-side value (see {@link popBaseSide}). */
function encodeSteps(stack: RansStack, steps: LayerSteps, state: Float64Array): Float64Array {
  const { coordinates } = steps;
  const data = Float64Array.from(state);
  const n = coordinates.length;
  stepScratch(n);
  for (let k = 0; k < n; k++) {
    steps.affine(coordinates[k], data, STEP);
    stepSlopes[k] = STEP.k;
    stepOffsets[k] = STEP.b;
    state[coordinates[k]] = popBaseSide(stack, data[coordinates[k]], STEP);
  }
  for (let k = 0; k < n; k++) {
    STEP.k = stepSlopes[k];
    STEP.b = stepOffsets[k];
    pushDataSide(stack, data[coordinates[k]], state[coordinates[k]], STEP);
  }
  return state;
}

/** Decoder: pops every data-side value, then pushes the base-side values back (undoes {@link encodeSteps}). */
function decodeSteps(stack: RansStack, steps: LayerSteps, state: Float64Array): Float64Array {
  const { coordinates } = steps;
  const base = Float64Array.from(state);
  const n = coordinates.length;
  stepScratch(n);
  for (let k = n - 1; k >= 0; k--) {
    steps.affine(coordinates[k], state, STEP);
    stepSlopes[k] = STEP.k;
    stepOffsets[k] = STEP.b;
    state[coordinates[k]] = popDataSide(stack, base[coordinates[k]], STEP);
  }
  for (let k = n - 1; k >= 0; k--) {
    STEP.k = stepSlopes[k];
    STEP.b = stepOffsets[k];
    pushBaseSide(stack, base[coordinates[k]], state[coordinates[k]], STEP);
  }
  return state;
}

const coordinateLists = new Map<number, Int32Array>();

/** 0 … size − 1 (one list per size, shared: nothing writes to it). */
function allCoordinates(size: number): Int32Array {
  let list = coordinateLists.get(size);
  if (!list) {
    list = Int32Array.from({ length: size }, (_, i) => i);
    coordinateLists.set(size, list);
  }
  return list;
}

/** A layer's steps, in the order its coordinates are coded (a 1 × 1 convolution's are its upper factor's: see {@link shiftByLower} for L). */
function layerSteps(layer: Exclude<Layer, { kind: 'permute' }>, state: Float64Array): LayerSteps {
  switch (layer.kind) {
    case 'actnorm': {
      const { slopes, offsets, channels } = layer;
      return {
        coordinates: allCoordinates(state.length),
        affine: (i, _, step) => {
          step.k = slopes[i % channels];
          step.b = offsets[i % channels];
        },
      };
    }
    case 'conv1x1': {
      // t = U (a ∘ x + b) per pixel: coordinate i given x_{j>i}, slope u_ii·a_i.
      const n = layer.channels;
      const { upper, inputSlopes, inputOffsets } = layer;
      return {
        coordinates: allCoordinates(state.length),
        affine: (i, data, step) => {
          const p = i - (i % n);
          const r = i % n;
          let offset = upper[r * n + r] * inputOffsets[r];
          for (let j = r + 1; j < n; j++) offset += upper[r * n + j] * (inputSlopes[j] * data[p + j] + inputOffsets[j]);
          step.k = upper[r * n + r] * inputSlopes[r];
          step.b = offset;
        },
      };
    }
    case 'coupling': {
      const { slopes, offsets } = couplingSteps(layer, state);
      checkedSteps(slopes);
      return {
        coordinates: layer.transformed,
        affine: (i, _, step) => {
          step.k = slopes[i];
          step.b = offsets[i];
        },
      };
    }
  }
}

/**
 * The lower factor of a 1 × 1 convolution, s = L t per pixel with a unit diagonal, as integer
 * shifts: s_i = t_i + round(Σ_{j<i} l_ij t_j) (the sum in ascending j). A bijection of the lattice
 * given the t_{j<i} a decoder has first, at no cost: its log-det is 0, and the rounding moves a value
 * by at most half a bin (2^−17), which changes the base density by nothing measurable. `undo`
 * gives t back, in ascending i.
 */
function shiftByLower(state: Float64Array, lower: Float64Array, n: number, undo: boolean): void {
  for (let p = 0; p < state.length; p += n) {
    if (undo)
      for (let r = 1; r < n; r++) {
        let offset = 0;
        for (let j = 0; j < r; j++) offset += lower[r * n + j] * state[p + j];
        state[p + r] -= Math.round(offset);
      }
    else
      for (let r = n - 1; r >= 1; r--) {
        let offset = 0;
        for (let j = 0; j < r; j++) offset += lower[r * n + j] * state[p + j];
        state[p + r] += Math.round(offset);
      }
  }
}

/** z = P s per pixel: z_r = s_{P(r)}. */
function permuteChannels(state: Float64Array, permutation: Int32Array, inverse: boolean): Float64Array {
  const n = permutation.length;
  const out = new Float64Array(state.length);
  for (let p = 0; p < state.length; p += n)
    for (let r = 0; r < n; r++) {
      if (inverse) out[p + permutation[r]] = state[p + r];
      else out[p + r] = state[p + permutation[r]];
    }
  return out;
}

function encodeLayer(stack: RansStack, layer: Layer, state: Float64Array): Float64Array {
  if (layer.kind === 'permute') {
    const base = new Float64Array(state.length);
    for (let i = 0; i < state.length; i++) base[layer.order[i]] = state[i];
    return base;
  }
  if (layer.kind === 'conv1x1') {
    encodeSteps(stack, layerSteps(layer, state), state);
    shiftByLower(state, layer.lower, layer.channels, false);
    return permuteChannels(state, layer.permutation, false);
  }
  return encodeSteps(stack, layerSteps(layer, state), state);
}

function decodeLayer(stack: RansStack, layer: Layer, state: Float64Array): Float64Array {
  if (layer.kind === 'permute') {
    const data = new Float64Array(state.length);
    for (let i = 0; i < state.length; i++) data[i] = state[layer.order[i]];
    return data;
  }
  if (layer.kind === 'conv1x1') {
    const before = permuteChannels(state, layer.permutation, true);
    shiftByLower(before, layer.lower, layer.channels, true);
    return decodeSteps(stack, layerSteps(layer, before), before);
  }
  // A coupling's maps read only the coordinates it keeps, which the base side has as they are.
  return decodeSteps(stack, layerSteps(layer, state), state);
}

/** The factored channels' means and scales (bins) given the kept ones. */
function factoredPrior(factored: Extract<Base, { kind: 'factor-out' }>['factored'], kept: Float64Array): { means: Float64Array; scales: Float64Array } {
  const [h, w, c] = factored.shape;
  const out = evaluateConvExactly(factored.network, kept, 1, h, w, MODEL_UNIT);
  const means = new Float64Array(h * w * c);
  const scales = new Float64Array(h * w * c);
  for (let p = 0; p < h * w; p++)
    for (let k = 0; k < c; k++) {
      means[p * c + k] = out[p * 2 * c + k] * MODEL_UNIT;
      scales[p * c + k] = exactExp(out[p * 2 * c + c + k]) * MODEL_UNIT;
    }
  return { means, scales };
}

function encodeFlow(stack: RansStack, flow: CompiledFlow, data: Float64Array): void {
  let state = data;
  for (const layer of flow.layers) state = encodeLayer(stack, layer, state);
  const base = flow.base;
  if (base.kind === 'normal') {
    for (let i = 0; i < state.length; i++) pushScaled(stack, state[i], base.means[i], base.scales[i], 'gaussian');
    return;
  }
  const kept = state.subarray(0, base.keptSize);
  const { means, scales } = factoredPrior(base.factored, kept);
  for (let i = base.keptSize; i < state.length; i++) pushScaled(stack, state[i], means[i - base.keptSize], scales[i - base.keptSize], 'gaussian');
  encodeFlow(stack, base.kept, Float64Array.from(kept));
}

function decodeFlow(stack: RansStack, flow: CompiledFlow): Float64Array {
  const base = flow.base;
  let state: Float64Array = new Float64Array(flow.size);
  if (base.kind === 'normal') {
    for (let i = state.length - 1; i >= 0; i--) state[i] = popScaled(stack, base.means[i], base.scales[i], 'gaussian');
  } else {
    const kept = decodeFlow(stack, base.kept);
    state.set(kept);
    const { means, scales } = factoredPrior(base.factored, kept);
    for (let i = state.length - 1; i >= base.keptSize; i--) state[i] = popScaled(stack, means[i - base.keptSize], scales[i - base.keptSize], 'gaussian');
  }
  for (let l = flow.layers.length - 1; l >= 0; l--) state = decodeLayer(stack, flow.layers[l], state);
  return state;
}

/**
 * The logit preprocessing as a map from the dequantized pixel lattice (a = 2^16·v + u, 2^−24 of the
 * unit interval per bin) to the model's lattice: y = logit(α + (1 − 2α)·a/2^24)·2^16.
 */
function logitMap(alpha: number): MonotoneMap {
  const stretch = (1 - 2 * alpha) / 2 ** 24;
  return {
    forward: (a) => {
      const p = alpha + stretch * a;
      return (exactLog(p) - exactLog(1 - p)) * MODEL_UNIT;
    },
    inverse: (y) => (exactSigmoid(y / MODEL_UNIT) - alpha) / stretch,
    slope: (a) => {
      const p = alpha + stretch * a;
      return (stretch * MODEL_UNIT) / (p * (1 - p));
    },
  };
}

const UNIFORM_NOISE = { interval: (symbol: number) => ({ start: symbol, frequency: 1 }), symbolOf: (slot: number) => slot, precision: DEQUANTIZATION_BITS };

/** Options of {@link encodeWithFlow} and {@link decodeWithFlow}. */
export interface FlowCodingOptions {
  /** The logit preprocessing's α that the flow was trained with. */
  alpha: number;
  /** Seed of the initial words (default 0). */
  initialSeed?: number;
  onProgress?: (done: number, total: number) => void;
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`the logit's α must lie in (0, 0.5), got ${alpha}`);
}

/**
 * Codes 8-bit images (each `flow.size` pixels, values 0…255) under the compiled flow by local
 * bits-back coding. The chain starts on pseudo-random seed words, drawn as the first image's pops
 * need them; `initialWords` says how many, which the decoder needs to check that it came back to them.
 */
export function encodeWithFlow(flow: CompiledFlow, images: readonly Uint8Array[], options: FlowCodingOptions): { message: Uint8Array; initialWords: number } {
  checkAlpha(options.alpha);
  const seed = new SeedStream(options.initialSeed);
  const upfront = [seed.next(), seed.next()];
  const stack = new RansStack([upfront[0], upfront[1]], {
    refill: () => {
      if (seed.drawn >= MAX_INITIAL_WORDS) throw new RangeError('the first image needs more than 2^20 seed words');
      return seed.next();
    },
  });
  const map = logitMap(options.alpha);
  for (const [index, image] of images.entries()) {
    if (image.length !== flow.size) throw new RangeError(`image ${index} has ${image.length} pixels; the flow codes ${flow.size}`);
    const a = new Float64Array(flow.size);
    for (let d = 0; d < flow.size; d++) a[d] = image[d] * PIXEL_UNIT + stack.pop(UNIFORM_NOISE);
    const y = new Float64Array(flow.size);
    for (let d = 0; d < flow.size; d++) y[d] = popBaseSide(stack, a[d], map);
    for (let d = 0; d < flow.size; d++) pushDataSide(stack, a[d], y[d], map);
    encodeFlow(stack, flow, y);
    options.onProgress?.(index + 1, images.length);
  }
  return { message: stack.toBytes(), initialWords: seed.drawn };
}

/**
 * One image off the stack. A message that is not what the encoder wrote (corrupt, or chains in
 * another order) decodes to values that no image gives, until a step cannot be computed at all (a
 * slope of 0 or infinity at a logit of 0 or 1): that is named as the message's fault, not the model's.
 */
function decodeImage(stack: RansStack, flow: CompiledFlow, map: MonotoneMap, index: number): Uint8Array {
  try {
    const y = decodeFlow(stack, flow);
    const image = new Uint8Array(flow.size);
    const a = new Float64Array(flow.size);
    for (let d = flow.size - 1; d >= 0; d--) a[d] = popDataSide(stack, y[d], map);
    for (let d = flow.size - 1; d >= 0; d--) pushBaseSide(stack, y[d], a[d], map);
    for (let d = flow.size - 1; d >= 0; d--) {
      const pixel = Math.floor(a[d] / PIXEL_UNIT);
      if (!(pixel >= 0 && pixel <= 255))
        throw new RansError(`pixel ${d} of image ${index} decodes to ${pixel}: the message is corrupt, or was coded with another model`);
      image[d] = pixel;
      stack.push(UNIFORM_NOISE.interval(a[d] - pixel * PIXEL_UNIT), DEQUANTIZATION_BITS);
    }
    return image;
  } catch (error) {
    if (error instanceof RangeError)
      throw new RansError(`image ${index} does not decode (${error.message}): the message is corrupt, or was coded with another model or other options`);
    throw error;
  }
}

/** Decodes `count` images coded by {@link encodeWithFlow} with the same flow and options; checks that the chain comes back to its seed. */
export function decodeWithFlow(flow: CompiledFlow, message: Uint8Array, count: number, initialWords: number, options: FlowCodingOptions): Uint8Array[] {
  checkAlpha(options.alpha);
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new RangeError(`the count of images must be a whole number ≥ 0, got ${count}`);
  if (!(Number.isInteger(initialWords) && initialWords >= 2 && initialWords <= MAX_INITIAL_WORDS))
    throw new RangeError(`initialWords must be a whole number from 2 to 2^20, got ${initialWords}`);
  const stack = RansStack.fromBytes(message);
  const map = logitMap(options.alpha);
  const images: Uint8Array[] = new Array(count);
  for (let index = count - 1; index >= 0; index--) {
    images[index] = decodeImage(stack, flow, map, index);
    options.onProgress?.(count - index, count);
  }
  const left = stack.toWords();
  const expected = SeedStream.layout(initialWords, options.initialSeed);
  if (left.length !== expected.length || left.some((word, k) => word !== expected[k]))
    throw new RansError('the message did not come back to its initial words: it is corrupt, or was decoded with another model or other options');
  return images;
}
