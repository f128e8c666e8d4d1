import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames, renamedOption, type Bijector, Random } from '@flows/core';
import type { Activation } from '@flows/networks';
import {
  ActNorm,
  AdditiveCoupling,
  alternatingMask,
  Chain,
  channelMask,
  checkerboardMask,
  ElementwiseScale,
  FactorOut,
  halfMask,
  IntegerAdditiveCoupling,
  InverseAutoregressive,
  invertMask,
  InvertibleConv1x1,
  MaskedAffineCoupling,
  MaskedAutoregressive,
  type Mask,
  Permute,
  randomMask,
  Squeeze,
} from '@flows/bijectors';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  DiscretizedLogistic,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  StandardNormal,
  TransformedDistribution,
} from '@flows/distributions';

export type MaskStrategy = 'half' | 'alternating' | 'random' | 'checkerboard';
export const MASK_STRATEGIES: readonly MaskStrategy[] = ['half', 'alternating', 'random', 'checkerboard'];

export interface CouplingFlowOptions {
  /** Event size D (required; `dims` is its deprecated old name). */
  size?: number;
  /** @deprecated the old name of `size`, accepted for one more release with a warning. */
  dims?: number;
  /** Number of coupling layers (default 8). */
  layers?: number;
  /** Hidden widths of each conditioner (default [64, 64]). */
  hidden?: number[];
  activation?: Activation;
  /**
   * `half` (first half kept, flipped every layer), `alternating` (1,0,1,… flipped every layer),
   * `random` (a fresh random half per layer, drawn once from the seed and stored),
   * `checkerboard` (Real NVP checkerboard on `imageShape`, inverted every layer).
   */
  mask?: MaskStrategy;
  /** Height and width for `checkerboard` (default: a square image of D pixels). */
  imageShape?: [number, number];
  /** Seed for masks and initial weights (default 0). */
  seed?: number;
  /** Context width for conditional flows (default 0). */
  contextSize?: number;
}

export interface RealNVPOptions extends CouplingFlowOptions {
  /** tanh on the scale network's output (default true). */
  scaleTanh?: boolean;
  /** A learnable per-coordinate factor on the tanh-bounded scale (default false). */
  learnableScaleFactor?: boolean;
}

/** The mask of layer `index` under a strategy. */
export function layerMask(strategy: MaskStrategy, dims: number, index: number, random: Random, imageShape?: [number, number]): Mask {
  switch (strategy) {
    case 'half': {
      const mask = halfMask(dims);
      return index % 2 === 0 ? mask : invertMask(mask);
    }
    case 'alternating':
      return alternatingMask(dims, index % 2 === 0 ? 1 : 0);
    case 'random':
      return randomMask(dims, random);
    case 'checkerboard': {
      const [h, w] = imageShape ?? squareShape(dims);
      if (h * w !== dims) throw new RangeError(`checkerboard mask: imageShape ${h}x${w} does not have ${dims} pixels`);
      return checkerboardMask(h, w, index % 2 === 0 ? 0 : 1);
    }
    default:
      throw new RangeError(`unknown mask strategy '${String(strategy)}'; expected ${MASK_STRATEGIES.join(', ')}`);
  }
}

function squareShape(dims: number): [number, number] {
  const side = Math.round(Math.sqrt(dims));
  if (side * side !== dims) throw new RangeError(`checkerboard mask: ${dims} is not a square number of pixels; pass imageShape`);
  return [side, side];
}

const COUPLING_FLOW_OPTION_NAMES = optionNames<CouplingFlowOptions>()([
  'size',
  'dims',
  'layers',
  'hidden',
  'activation',
  'mask',
  'imageShape',
  'seed',
  'contextSize',
]);
const REAL_NVP_OPTION_NAMES = optionNames<RealNVPOptions>()([...COUPLING_FLOW_OPTION_NAMES, 'scaleTanh', 'learnableScaleFactor'] as [
  'size',
  'dims',
  'layers',
  'hidden',
  'activation',
  'mask',
  'imageShape',
  'seed',
  'contextSize',
  'scaleTanh',
  'learnableScaleFactor',
]);
const MAF_OPTION_NAMES = optionNames<MAFOptions>()(['size', 'dims', 'layers', 'hidden', 'activation', 'seed', 'contextSize', 'inverse']);
const MULTI_SCALE_OPTION_NAMES = optionNames<MultiScaleOptions>()(['shape', 'levels', 'stepsPerLevel', 'hidden', 'contextSize', 'seed']);

/** Builds a flow's layers; when one fails (a rejected option), frees those built before it and rethrows. */
function buildLayers(count: number, build: (index: number) => Bijector): Bijector[] {
  const layers: Bijector[] = [];
  try {
    for (let i = 0; i < count; i++) layers.push(build(i));
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
  return layers;
}

/** The event size D from `size` (or its deprecated old name `dims`), checked to be an integer of at least `least`. */
function eventSize(options: { size?: number; dims?: number }, who: string, least: number): number {
  const size = renamedOption<number>(options, 'dims', 'size', who);
  if (!Number.isInteger(size) || (size as number) < least) throw new RangeError(`${who}: size (the event size D) must be an integer >= ${least}, got ${size}`);
  return size as number;
}

function checkCommon(options: CouplingFlowOptions, who: string, names: readonly string[]): number {
  assertKnownOptions(options, names, who);
  const size = eventSize(options, who, 2);
  const layers = options.layers ?? 8;
  if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`${who}: layers must be a positive integer, got ${layers}`);
  const strategy = options.mask ?? 'alternating';
  if (!MASK_STRATEGIES.includes(strategy)) throw new RangeError(`${who}: unknown mask '${strategy}'; expected ${MASK_STRATEGIES.join(', ')}`);
  return size;
}

/**
 * A Real NVP flow (Dinh et al., ICLR 2017): `layers` masked affine couplings
 * `y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))` with alternating masks, on a standard normal base. Returns a `TransformedDistribution`.
 */
export function realNVP(options: RealNVPOptions): TransformedDistribution {
  const size = checkCommon(options, 'realNVP', REAL_NVP_OPTION_NAMES);
  const random = new Random(options.seed ?? 0);
  const layers = buildLayers(
    options.layers ?? 8,
    (i) =>
      new MaskedAffineCoupling({
        mask: layerMask(options.mask ?? 'alternating', size, i, random, options.imageShape),
        hidden: options.hidden ?? [64, 64],
        activation: options.activation,
        scaleTanh: options.scaleTanh ?? true,
        learnableScaleFactor: options.learnableScaleFactor ?? false,
        contextSize: options.contextSize,
        seed: random.nextUint32(),
      }),
  );
  return new TransformedDistribution(new StandardNormal(size), new Chain(layers));
}

/**
 * A NICE flow (Dinh et al. 2015): `layers` additive couplings (at least 3-4 with alternating
 * partitions), then a learnable diagonal rescaling, on a standard normal base.
 */
export function nice(options: CouplingFlowOptions): TransformedDistribution {
  const size = checkCommon(options, 'nice', COUPLING_FLOW_OPTION_NAMES);
  const random = new Random(options.seed ?? 0);
  const count = options.layers ?? 4;
  const layers = buildLayers(count + 1, (i) =>
    i === count
      ? new ElementwiseScale({ size })
      : new AdditiveCoupling({
          mask: layerMask(options.mask ?? 'alternating', size, i, random, options.imageShape),
          hidden: options.hidden ?? [64, 64],
          activation: options.activation,
          contextSize: options.contextSize,
          seed: random.nextUint32(),
        }),
  );
  return new TransformedDistribution(new StandardNormal(size), new Chain(layers));
}

/** Options of {@link maf}. */
export interface MAFOptions {
  /** Event size D (required; `dims` is its deprecated old name). */
  size?: number;
  /** @deprecated the old name of `size`, accepted for one more release with a warning. */
  dims?: number;
  /** Number of MAF layers (default 5); the order reverses from one layer to the next. */
  layers?: number;
  /** Hidden widths of each MADE (default [64, 64]). */
  hidden?: number[];
  activation?: Activation;
  seed?: number;
  contextSize?: number;
  /** Build IAF layers instead (fast sampling, D-pass density), e.g. as a distillation student. */
  inverse?: boolean;
}

/**
 * A masked autoregressive flow (Papamakarios et al. 2017): `layers` MAF layers with affine
 * transformers, alternating natural and reversed orders, on a standard normal base. With
 * `inverse: true`, the same stack of IAF layers (Kingma et al. 2016).
 */
export function maf(options: MAFOptions): TransformedDistribution {
  const who = options.inverse ? 'iaf' : 'maf';
  assertKnownOptions(options, MAF_OPTION_NAMES, who);
  const size = eventSize(options, who, 1);
  const count = options.layers ?? 5;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`${who}: layers must be a positive integer, got ${count}`);
  const random = new Random(options.seed ?? 0);
  const layers = buildLayers(count, (i) => {
    const layerOptions = {
      size,
      hidden: options.hidden ?? [64, 64],
      activation: options.activation,
      order: i % 2 === 0 ? ('natural' as const) : ('reversed' as const),
      contextSize: options.contextSize ?? 0,
      seed: random.nextUint32(),
    };
    return options.inverse ? new InverseAutoregressive(layerOptions) : new MaskedAutoregressive(layerOptions);
  });
  return new TransformedDistribution(new StandardNormal(size), new Chain(layers));
}

/** Options of {@link integerDiscreteFlow}. */
export interface IntegerFlowOptions {
  /** Event size D: integer-valued vectors (for example 784 pixels in 0…255). */
  size: number;
  /** Integer additive couplings per level (default 8), their masks flipped from one to the next. */
  layers?: number;
  /**
   * Levels L (default 1). After each level but the last, half the coordinates (the odd positions)
   * are factored out under a prior conditioned on the other half, which goes on to the next level
   * (Hoogeboom et al. 2019, §3.2): `P(z) = P(z_L) · Π_l P(z_l^out | z_l^kept)`.
   */
  levels?: number;
  /** Hidden widths of each shift network (default [256, 256]). */
  hidden?: number[];
  /** Hidden widths of each factor-out prior's network z_kept → mixture parameters (default [256]). */
  priorHidden?: number[];
  activation?: Activation;
  /** Mask strategy (default 'alternating'; 'checkerboard' with `imageShape`). */
  mask?: MaskStrategy;
  imageShape?: [number, number];
  /** The integer grid's scale S of the couplings and priors (default 256: 8-bit values). */
  scale?: number;
  /** The base's initial location and log-scale, the same for every coordinate (default 0 and log 32). */
  baseLocation?: number;
  baseLogScale?: number;
  /**
   * Components of the base per coordinate (default 1: one discretized logistic). With K > 1 the base
   * is a mixture of K discretized logistics per coordinate (the prior of Hoogeboom et al. 2019), its
   * locations spread evenly over `baseRange` and its scales a quarter of their spacing. The
   * factor-out priors of `levels` > 1 are mixtures of K as well.
   */
  baseComponents?: number;
  /** The range the mixture's initial locations spread over (default [0, 255]: 8-bit values). */
  baseRange?: [number, number];
  seed?: number;
}

const INTEGER_FLOW_OPTION_NAMES = optionNames<IntegerFlowOptions>()([
  'size',
  'layers',
  'levels',
  'hidden',
  'priorHidden',
  'activation',
  'mask',
  'imageShape',
  'scale',
  'baseLocation',
  'baseLogScale',
  'baseComponents',
  'baseRange',
  'seed',
]);

/**
 * The order that puts the even positions first: `forward` of `Permute({ order })` maps
 * z = [z_even, z_odd] back to the interleaved vector, so the density direction splits it.
 */
function evenPositionsFirst(size: number): number[] {
  const kept = Math.ceil(size / 2);
  return Array.from({ length: size }, (_, i) => (i % 2 === 0 ? i / 2 : kept + (i - 1) / 2));
}

/**
 * An integer discrete flow (Hoogeboom, Peters, van den Berg and Welling, NeurIPS 2019): `layers`
 * integer additive couplings, `x = z + (1−b)⊙⌊S·m(b⊙z / S)⌉` in the sampling direction, on a
 * factorised discretized logistic base over all integers with learnable location and scale. The
 * map is a bijection of ℤ^D, so `logProb` is the log of a probability mass (no log-det): the
 * negative log-likelihood in bits is the length a lossless code can reach with it.
 *
 * With `levels` L > 1 the flow is multi-scale: after each level's couplings the odd positions are
 * factored out under a {@link ConditionalMixtureOfDiscretizedLogistics} given the even ones, which
 * go on to the next level (a {@link FactorOutDistribution} whose kept part is the next level's flow).
 */
export function integerDiscreteFlow(options: IntegerFlowOptions): TransformedDistribution {
  assertKnownOptions(options, INTEGER_FLOW_OPTION_NAMES, 'integerDiscreteFlow');
  const size = options.size;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`integerDiscreteFlow: size must be an integer ≥ 2, got ${size}`);
  const count = options.layers ?? 8;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`integerDiscreteFlow: layers must be a positive integer, got ${count}`);
  const levels = options.levels ?? 1;
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`integerDiscreteFlow: levels must be a positive integer, got ${levels}`);
  if (size < 2 ** levels) throw new RangeError(`integerDiscreteFlow: ${levels} levels halve ${size} coordinates below 2; use fewer levels`);
  const components = options.baseComponents ?? 1;
  if (!Number.isInteger(components) || components < 1)
    throw new RangeError(`integerDiscreteFlow: baseComponents must be a positive integer, got ${components}`);
  const [from, to] = options.baseRange ?? [0, 255];
  if (components > 1 && !(Number.isFinite(from) && Number.isFinite(to) && to > from))
    throw new RangeError(`integerDiscreteFlow: baseRange must be [low, high] with high > low, got [${from}, ${to}]`);
  const scale = options.scale ?? 256;
  const random = new Random(options.seed ?? 0);
  // Evenly spread locations (component k at from + (k + ½)·spacing in every coordinate), scales a quarter of the spacing.
  const spacing = (to - from) / components;
  const spreadMixture = (mixture: { loc: tf.Variable; logScale: tf.Variable }, width: number) =>
    tf.tidy(() => {
      mixture.loc.assign(tf.tile(tf.reshape(tf.add(tf.mul(tf.range(0, components), spacing), from + spacing / 2), [components, 1]), [1, width]));
      mixture.logScale.assign(tf.fill([components, width], Math.log(Math.max(0.5, spacing / 4))));
    });
  const level = (width: number, index: number, imageShape: [number, number] | undefined): TransformedDistribution => {
    // Checkerboard masks need the level's image; a level of odd width has none, and falls back to alternating masks.
    const mask = options.mask === 'checkerboard' && index > 0 && !imageShape ? 'alternating' : (options.mask ?? 'alternating');
    const layers = buildLayers(
      count,
      (i) =>
        new IntegerAdditiveCoupling({
          mask: layerMask(mask, width, i, random, imageShape),
          hidden: options.hidden ?? [256, 256],
          activation: options.activation,
          scale,
          seed: random.nextUint32(),
        }),
    );
    if (index === levels - 1) {
      if (components === 1) {
        const base = new DiscretizedLogistic({
          size: width,
          loc: new Array(width).fill(options.baseLocation ?? 0),
          logScale: new Array(width).fill(options.baseLogScale ?? Math.log(32)),
        });
        return new TransformedDistribution(base, new Chain(layers));
      }
      const base = new MixtureOfDiscretizedLogistics({ size: width, components, seed: random.nextUint32() });
      spreadMixture(base, width);
      return new TransformedDistribution(base, new Chain(layers));
    }
    const kept = Math.ceil(width / 2);
    // The even positions of a row-major image of even width are its even columns: the next level's image is [h, w/2].
    const nextImage: [number, number] | undefined = imageShape && imageShape[1] % 2 === 0 ? [imageShape[0], imageShape[1] / 2] : undefined;
    const next = level(kept, index + 1, nextImage);
    const factored = new ConditionalMixtureOfDiscretizedLogistics({
      size: width - kept,
      contextSize: kept,
      components,
      hidden: options.priorHidden ?? [256],
      activation: options.activation,
      scale,
      seed: random.nextUint32(),
    });
    spreadMixture(factored, width - kept);
    const bijector = new Chain([new Permute({ order: evenPositionsFirst(width) }), ...layers]);
    return new TransformedDistribution(new FactorOutDistribution({ kept: next, factored }), bijector);
  };
  return level(size, 0, options.mask === 'checkerboard' ? (options.imageShape ?? squareShape(size)) : options.imageShape);
}

/** Options of {@link multiScaleFlow}. */
export interface MultiScaleOptions {
  /** Data shape `[H, W, C]`; H and W must be divisible by 2^levels. */
  shape: [number, number, number];
  /** Squeeze levels (default 2); after each but the last, half the channels are factored out. */
  levels?: number;
  /** Flow steps per level (default 4): ActNorm, invertible 1 × 1 convolution, affine coupling. */
  stepsPerLevel?: number;
  /** Channels of each coupling's ConvNet conditioners (default [64, 64]). */
  hidden?: number[];
  /** Context width for conditional flows (default 0); it reaches every coupling as extra channels. */
  contextSize?: number;
  seed?: number;
}

/**
 * A multi-scale Glow-style flow (Dinh et al. 2017; Kingma and Dhariwal 2018) on images. In the
 * density direction each level squeezes (2 × 2 × c → 1 × 1 × 4c), runs `stepsPerLevel` steps of
 * ActNorm → InvertibleConv1x1 → MaskedAffineCoupling (channel masks alternating, ConvNet
 * conditioners), then factors out half the channels to the base and passes the rest to the next
 * level. The base is a standard normal on the flattened factored dimensions; sample at a
 * temperature with `sample(n, { temperature })`.
 */
export function multiScaleFlow(options: MultiScaleOptions): TransformedDistribution {
  assertKnownOptions(options, MULTI_SCALE_OPTION_NAMES, 'multiScaleFlow');
  const [height, width, channels] = options.shape;
  const levels = options.levels ?? 2;
  const steps = options.stepsPerLevel ?? 4;
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`multiScaleFlow: levels must be a positive integer, got ${levels}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`multiScaleFlow: stepsPerLevel must be a positive integer, got ${steps}`);
  const divisor = 2 ** levels;
  if (height % divisor !== 0 || width % divisor !== 0) {
    throw new RangeError(`multiScaleFlow: height and width (${height} × ${width}) must be divisible by 2^levels = ${divisor}`);
  }
  const random = new Random(options.seed ?? 0);
  // Built in the density direction (data → base); a Chain lists the forward direction, so each level is reversed.
  const level = (h: number, w: number, c: number, remaining: number): Bijector => {
    const shape: [number, number, number] = [h / 2, w / 2, 4 * c];
    const densityOrder: Bijector[] = [new Squeeze({ shape: [h, w, c] })];
    for (let i = 0; i < steps; i++) {
      densityOrder.push(
        new ActNorm({ shape }),
        new InvertibleConv1x1({ shape, seed: random.nextUint32() }),
        new MaskedAffineCoupling({
          mask: channelMask(shape[0], shape[1], shape[2], i % 2 === 0),
          eventShape: shape,
          hidden: options.hidden ?? [64, 64],
          contextSize: options.contextSize,
          seed: random.nextUint32(),
        }),
      );
    }
    if (remaining > 1) {
      const keep = shape[2] / 2;
      densityOrder.push(new FactorOut({ shape, keepChannels: keep, inner: level(shape[0], shape[1], keep, remaining - 1) }));
    }
    return new Chain(densityOrder.reverse());
  };
  const bijector = level(height, width, channels, levels);
  return new TransformedDistribution(new StandardNormal(bijector.eventShape as number[]), bijector);
}
