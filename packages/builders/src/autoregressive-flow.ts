import { assertKnownOptions, type Bijector, optionNames, Random } from '@flows/core';
import type { Activation } from '@flows/networks';
import { AdditiveTransformer, Chain, InverseAutoregressive, MaskedAutoregressive, type Transformer } from '@flows/bijectors';
import { RationalQuadraticSpline, SplineAutoregressive } from '@flows/bijector-spline';
import { type EmbeddedContext, TransformedDistribution } from '@flows/distributions';
import { buildLayers } from './build-layers.js';
import { conditionerContextSize, type EmbeddingOption, type FlowBaseOptions, flowBase, flowSize, type MaybeEmbedded, withEmbedding } from './flow-base.js';
import { resolveTransformer, type TransformerChoice } from './transformer-choice.js';

/** Options of {@link autoregressiveFlow}. */
export interface AutoregressiveFlowOptions extends FlowBaseOptions {
  /** Number of autoregressive layers (default 5); the order reverses from one layer to the next. */
  layers?: number;
  /** Hidden widths of each MADE (default [64, 64]). */
  hidden?: number[];
  activation?: Activation;
  /** The elementwise map (default `'affine'`, MAF's affine transformer): see {@link TransformerChoice}. */
  transformer?: TransformerChoice;
  /** `'spline'`: bins K of each spline (default 8). */
  bins?: number;
  /** `'spline'`: the splines act on [−B, B], the identity outside (default 3). */
  bound?: number;
  /** Build IAF layers instead (fast sampling, D-pass density), e.g. as a distillation student. */
  inverse?: boolean;
  seed?: number;
  /** Context width the conditioners read, for conditional flows (default 0; with an `embedding`, its output width). */
  contextSize?: number;
}

/** The options of {@link autoregressiveFlow}, in the order messages list them. */
export const AUTOREGRESSIVE_FLOW_OPTION_NAMES = optionNames<MaybeEmbedded<AutoregressiveFlowOptions>>()([
  'size',
  'layers',
  'hidden',
  'activation',
  'seed',
  'contextSize',
  'inverse',
  'base',
  'embedding',
  'transformer',
  'bins',
  'bound',
]);

/**
 * The autoregressive layers of a flow, base side first, orders alternating natural and reversed,
 * each layer's MADE seeded from one generator. The presets build through this, so the same
 * options and seed give the same layers whichever builder is called.
 */
export function autoregressiveLayers(
  options: MaybeEmbedded<AutoregressiveFlowOptions>,
  who: string,
  defaultLayers: number,
): { size: number; layers: Bijector[] } {
  const size = flowSize(options, who, 1);
  const count = options.layers ?? defaultLayers;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`${who}: layers must be a positive integer, got ${count}`);
  const transformer = resolveTransformer(options, who);
  const contextSize = conditionerContextSize(options, who) ?? 0;
  const random = new Random(options.seed ?? 0);
  const layers = buildLayers(count, (i) => {
    const shared = {
      size,
      hidden: options.hidden ?? [64, 64],
      activation: options.activation,
      order: i % 2 === 0 ? ('natural' as const) : ('reversed' as const),
      contextSize,
      seed: random.nextUint32(),
    };
    if (transformer.name === 'spline' && !options.inverse) return new SplineAutoregressive({ ...shared, bins: options.bins, bound: options.bound });
    // The affine layers leave the transformer to its default, MAF's AffineTransformer.
    let chosen: Transformer | undefined;
    if (transformer.name === 'additive') chosen = new AdditiveTransformer();
    else if (transformer.name === 'spline') chosen = new RationalQuadraticSpline({ bins: options.bins, bound: options.bound });
    else if (transformer.name === 'general') chosen = transformer.make();
    const layerOptions = chosen ? { ...shared, transformer: chosen } : shared;
    return options.inverse ? new InverseAutoregressive(layerOptions) : new MaskedAutoregressive(layerOptions);
  });
  return { size, layers };
}

/**
 * An autoregressive flow with any transformer (Papamakarios et al. 2017; Kingma et al. 2016;
 * Durkan et al. 2019): `layers` MAF layers `z_i = g(x_i; θ_i(x_<i))`, natural and reversed orders
 * alternating, on `base` (default a standard normal); IAF layers with `inverse: true`. The
 * transformer g is MAF's affine one by default; `'additive'`, `'spline'`, `'gated'`, or any
 * registered transformer (see {@link TransformerChoice}). Returns a `TransformedDistribution`;
 * with an `embedding`, an `EmbeddedContext` around it, trained and saved with it.
 */
export function autoregressiveFlow(options: AutoregressiveFlowOptions & EmbeddingOption): EmbeddedContext;
export function autoregressiveFlow(options: AutoregressiveFlowOptions): TransformedDistribution;
export function autoregressiveFlow(options: MaybeEmbedded<AutoregressiveFlowOptions>): TransformedDistribution | EmbeddedContext {
  assertKnownOptions(options, AUTOREGRESSIVE_FLOW_OPTION_NAMES, 'autoregressiveFlow');
  const { size, layers } = autoregressiveLayers(options, options.inverse ? 'autoregressiveFlow (inverse)' : 'autoregressiveFlow', 5);
  return withEmbedding(options, new TransformedDistribution(flowBase(options, size), new Chain(layers)));
}
