import { assertKnownOptions, type Bijector, optionNames, Random } from '@flows/core';
import type { Activation } from '@flows/networks';
import { AdditiveCoupling, Chain, MaskedAffineCoupling, TransformerCoupling } from '@flows/bijectors';
import { SplineCoupling } from '@flows/bijector-spline';
import { type EmbeddedContext, TransformedDistribution } from '@flows/distributions';
import { buildLayers } from './build-layers.js';
import { conditionerContextSize, type EmbeddingOption, type FlowBaseOptions, flowBase, flowSize, type MaybeEmbedded, withEmbedding } from './flow-base.js';
import { layerMask, MASK_STRATEGIES, type MaskStrategy } from './layer-masks.js';
import { resolveTransformer, type TransformerChoice } from './transformer-choice.js';

/** Options of {@link couplingFlow}. */
export interface CouplingFlowOptions extends FlowBaseOptions {
  /** Number of coupling layers (default 8). */
  layers?: number;
  /** Hidden widths of each conditioner (default [64, 64]). */
  hidden?: number[];
  activation?: Activation;
  /**
   * `half` (first half kept, flipped every layer), `alternating` (1,0,1,… flipped every layer),
   * `random` (a fresh random half per layer, drawn once from the seed and stored),
   * `checkerboard` (Real NVP checkerboard on `imageShape`, inverted every layer). Default `alternating`.
   */
  mask?: MaskStrategy;
  /** Height and width for `checkerboard` (default: a square image of D pixels). */
  imageShape?: [number, number];
  /** The elementwise map of the transformed coordinates (default `'affine'`): see {@link TransformerChoice}. */
  transformer?: TransformerChoice;
  /** `'affine'`: tanh on the scale network's output (default true). */
  scaleTanh?: boolean;
  /** `'affine'`: a learnable per-coordinate factor on the tanh-bounded scale (default false). */
  learnableScaleFactor?: boolean;
  /** `'spline'`: bins K of each spline (default 8). */
  bins?: number;
  /** `'spline'`: the splines act on [−B, B], the identity outside (default 3). */
  bound?: number;
  /** Seed for masks and initial weights (default 0). */
  seed?: number;
  /** Context width the conditioners read, for conditional flows (default 0; with an `embedding`, its output width). */
  contextSize?: number;
}

/** The options of {@link couplingFlow}, in the order messages list them. */
export const COUPLING_FLOW_OPTION_NAMES = optionNames<MaybeEmbedded<CouplingFlowOptions>>()([
  'size',
  'layers',
  'hidden',
  'activation',
  'mask',
  'imageShape',
  'seed',
  'contextSize',
  'base',
  'embedding',
  'transformer',
  'scaleTanh',
  'learnableScaleFactor',
  'bins',
  'bound',
]);

/**
 * The coupling layers of a flow, base side first, built with one generator: each layer draws its
 * mask (for `random` masks), then the seed of its networks. The presets build through this, so the
 * same options and seed give the same layers whichever builder is called.
 */
export function couplingLayers(options: MaybeEmbedded<CouplingFlowOptions>, who: string, defaultLayers: number): { size: number; layers: Bijector[] } {
  const size = flowSize(options, who, 2);
  const count = options.layers ?? defaultLayers;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`${who}: layers must be a positive integer, got ${count}`);
  const strategy = options.mask ?? 'alternating';
  if (!MASK_STRATEGIES.includes(strategy)) throw new RangeError(`${who}: unknown mask '${strategy}'; expected ${MASK_STRATEGIES.join(', ')}`);
  const transformer = resolveTransformer(options, who);
  const contextSize = conditionerContextSize(options, who);
  const random = new Random(options.seed ?? 0);
  const layers = buildLayers(count, (i) => {
    const shared = {
      mask: layerMask(strategy, size, i, random, options.imageShape),
      hidden: options.hidden ?? [64, 64],
      activation: options.activation,
      contextSize,
      seed: random.nextUint32(),
    };
    switch (transformer.name) {
      case 'affine':
        return new MaskedAffineCoupling({ ...shared, scaleTanh: options.scaleTanh ?? true, learnableScaleFactor: options.learnableScaleFactor ?? false });
      case 'additive':
        return new AdditiveCoupling(shared);
      case 'spline':
        return new SplineCoupling({ ...shared, bins: options.bins, bound: options.bound });
      default:
        return new TransformerCoupling({ ...shared, transformer: transformer.make() });
    }
  });
  return { size, layers };
}

/**
 * A coupling flow with any transformer (Dinh et al. 2017; Durkan et al. 2019; FlowJAX's
 * `coupling_flow`, zuko's general coupling): `layers` masked couplings
 * `y = b⊙x + (1−b)⊙g(x; θ(b⊙x))`, the mask flipped (or redrawn) from one layer to the next, on
 * `base` (default a standard normal). The transformer g is affine by default, Real NVP's masked
 * affine coupling with its fused kernels; `'additive'`, `'spline'`, or any registered transformer
 * (see {@link TransformerChoice}). Returns a `TransformedDistribution`; `flow.bijector` is the
 * `Chain` of layers. With an `embedding`, an `EmbeddedContext` around that flow, trained and saved
 * with it.
 */
export function couplingFlow(options: CouplingFlowOptions & EmbeddingOption): EmbeddedContext;
export function couplingFlow(options: CouplingFlowOptions): TransformedDistribution;
export function couplingFlow(options: MaybeEmbedded<CouplingFlowOptions>): TransformedDistribution | EmbeddedContext {
  assertKnownOptions(options, COUPLING_FLOW_OPTION_NAMES, 'couplingFlow');
  const { size, layers } = couplingLayers(options, 'couplingFlow', 8);
  return withEmbedding(options, new TransformedDistribution(flowBase(options, size), new Chain(layers)));
}
