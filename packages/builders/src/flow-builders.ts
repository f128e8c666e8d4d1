import { assertKnownOptions, optionNames, renamedOption, Random } from '@flows/core';
import type { Activation } from '@flows/networks';
import { AdditiveCoupling, Chain, ElementwiseScale, InverseAutoregressive, MaskedAffineCoupling, MaskedAutoregressive } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { buildLayers } from './build-layers.js';
import { layerMask, MASK_STRATEGIES, type MaskStrategy } from './layer-masks.js';

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
