import { assertKnownOptions, type Bijector, optionNames } from '@flows/core';
import { Chain, ElementwiseScale } from '@flows/bijectors';
import { type EmbeddedContext, TransformedDistribution } from '@flows/distributions';
import { AUTOREGRESSIVE_FLOW_OPTION_NAMES, autoregressiveLayers, type AutoregressiveFlowOptions } from './autoregressive-flow.js';
import { appendLayers } from './build-layers.js';
import { COUPLING_FLOW_OPTION_NAMES, type CouplingFlowOptions, couplingLayers } from './coupling-flow.js';
import { type EmbeddingOption, type FlowBaseOptions, flowBase, type MaybeEmbedded, withEmbedding } from './flow-base.js';

/** Options of {@link realNVP}: {@link couplingFlow}'s, with the affine transformer fixed. */
export type RealNVPOptions = Omit<CouplingFlowOptions, 'transformer' | 'bins' | 'bound'>;

/** Options of {@link nice}: {@link couplingFlow}'s, with the additive transformer fixed. */
export type NICEOptions = Omit<CouplingFlowOptions, 'transformer' | 'bins' | 'bound' | 'scaleTanh' | 'learnableScaleFactor'>;

/** Options of {@link maf}: {@link autoregressiveFlow}'s, with the affine transformer fixed. */
export type MAFOptions = Omit<AutoregressiveFlowOptions, 'transformer' | 'bins' | 'bound'>;

/** Options of {@link splineFlow}. */
export interface SplineFlowOptions extends Omit<AutoregressiveFlowOptions, 'transformer' | 'inverse' | 'activation'> {
  /** `coupling` (halves swapped each layer; fast both ways) or `autoregressive` (orders reversed each layer). Default coupling. */
  kind?: 'coupling' | 'autoregressive';
}

// The presets take their builder's options less the ones they fix, in the same order.
const REAL_NVP_OPTION_NAMES = COUPLING_FLOW_OPTION_NAMES.filter((name) => !['transformer', 'bins', 'bound'].includes(name));
const NICE_OPTION_NAMES = REAL_NVP_OPTION_NAMES.filter((name) => name !== 'scaleTanh' && name !== 'learnableScaleFactor');
const MAF_OPTION_NAMES = AUTOREGRESSIVE_FLOW_OPTION_NAMES.filter((name) => !['transformer', 'bins', 'bound'].includes(name));
const SPLINE_FLOW_OPTION_NAMES = optionNames<MaybeEmbedded<SplineFlowOptions>>()([
  'size',
  'layers',
  'kind',
  'bins',
  'bound',
  'hidden',
  'contextSize',
  'seed',
  'base',
  'embedding',
]);

/** The layers of {@link realNVP}, base side first. */
export function realNVPLayers(options: MaybeEmbedded<RealNVPOptions>, who = 'realNVP'): { size: number; layers: Bijector[] } {
  assertKnownOptions(options, REAL_NVP_OPTION_NAMES, who);
  return couplingLayers(options, who, 8);
}

/** The layers of {@link nice}, base side first: the couplings, then the rescaling. */
export function niceLayers(options: MaybeEmbedded<NICEOptions>, who = 'nice'): { size: number; layers: Bijector[] } {
  assertKnownOptions(options, NICE_OPTION_NAMES, who);
  const { size, layers } = couplingLayers({ ...options, transformer: 'additive' }, who, 4);
  return { size, layers: appendLayers(layers, () => [new ElementwiseScale({ size })]) };
}

/** The layers of {@link maf}, base side first. */
export function mafLayers(options: MaybeEmbedded<MAFOptions>, who = options.inverse ? 'iaf' : 'maf'): { size: number; layers: Bijector[] } {
  assertKnownOptions(options, MAF_OPTION_NAMES, who);
  return autoregressiveLayers(options, who, 5);
}

/** The layers of {@link splineFlow}, base side first. */
export function splineLayers(options: MaybeEmbedded<SplineFlowOptions>, who = 'splineFlow'): { size: number; layers: Bijector[] } {
  assertKnownOptions(options, SPLINE_FLOW_OPTION_NAMES, who);
  const { kind = 'coupling', ...rest } = options;
  if (kind !== 'coupling' && kind !== 'autoregressive') throw new RangeError(`${who}: kind must be 'coupling' or 'autoregressive', got '${String(kind)}'`);
  return kind === 'coupling'
    ? couplingLayers({ ...rest, mask: 'half', transformer: 'spline' }, who, 4)
    : autoregressiveLayers({ ...rest, transformer: 'spline' }, who, 4);
}

/** A flow of `layers` on the options' base (a standard normal unless given), inside an `EmbeddedContext` with an `embedding`. */
function onBase(options: MaybeEmbedded<FlowBaseOptions>, { size, layers }: { size: number; layers: Bijector[] }): TransformedDistribution | EmbeddedContext {
  return withEmbedding(options, new TransformedDistribution(flowBase(options, size), new Chain(layers)));
}

/**
 * A Real NVP flow (Dinh et al., ICLR 2017): `layers` masked affine couplings
 * `y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))` with alternating masks, on a standard normal base
 * (or `base`): {@link couplingFlow} with the affine transformer, whose `MaskedAffineCoupling`
 * layers the fused kernels run. Returns a `TransformedDistribution`.
 */
export function realNVP(options: RealNVPOptions & EmbeddingOption): EmbeddedContext;
export function realNVP(options: RealNVPOptions): TransformedDistribution;
export function realNVP(options: MaybeEmbedded<RealNVPOptions>): TransformedDistribution | EmbeddedContext {
  return onBase(options, realNVPLayers(options));
}

/**
 * A NICE flow (Dinh et al. 2015): `layers` additive couplings (default 4; at least 3-4 with
 * alternating partitions), then a learnable diagonal rescaling, on a standard normal base (or
 * `base`): {@link couplingFlow} with the additive transformer, and the rescaling.
 */
export function nice(options: NICEOptions & EmbeddingOption): EmbeddedContext;
export function nice(options: NICEOptions): TransformedDistribution;
export function nice(options: MaybeEmbedded<NICEOptions>): TransformedDistribution | EmbeddedContext {
  return onBase(options, niceLayers(options));
}

/**
 * A masked autoregressive flow (Papamakarios et al. 2017): `layers` MAF layers with affine
 * transformers, alternating natural and reversed orders, on a standard normal base (or `base`):
 * {@link autoregressiveFlow} with the affine transformer. With `inverse: true`, the same stack of
 * IAF layers (Kingma et al. 2016).
 */
export function maf(options: MAFOptions & EmbeddingOption): EmbeddedContext;
export function maf(options: MAFOptions): TransformedDistribution;
export function maf(options: MaybeEmbedded<MAFOptions>): TransformedDistribution | EmbeddedContext {
  return onBase(options, mafLayers(options));
}

/**
 * A neural spline flow (Durkan, Bekasov, Murray and Papamakarios 2019): `layers` (default 4)
 * rational-quadratic spline couplings, the halves swapped each layer (RQ-NSF (C)), or with
 * `kind: 'autoregressive'` spline MAF layers with orders reversed each layer (RQ-NSF (AR)), on a
 * standard normal base (or `base`): {@link couplingFlow} / {@link autoregressiveFlow} with the
 * spline transformer of `@flows/bijector-spline` (`bins`, `bound`). Returns a
 * `TransformedDistribution`; `flow.bijector` is the `Chain` of layers.
 */
export function splineFlow(options: SplineFlowOptions & EmbeddingOption): EmbeddedContext;
export function splineFlow(options: SplineFlowOptions): TransformedDistribution;
export function splineFlow(options: MaybeEmbedded<SplineFlowOptions>): TransformedDistribution | EmbeddedContext {
  return onBase(options, splineLayers(options));
}
