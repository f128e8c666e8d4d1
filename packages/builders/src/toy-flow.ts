import { assertKnownOptions, type Bijector, ConfigError, optionNames } from '@flows/core';
import { ActNorm, Chain, ElementwiseAffine } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { appendLayers } from './build-layers.js';
import type { MaskStrategy } from './layer-masks.js';
import { mafLayers, niceLayers, realNVPLayers, splineLayers } from './presets.js';

/** The flows of the toy apps (`toy-flow train --flow`, the playground's flow menu). */
export const TOY_FLOWS = ['realnvp', 'nice', 'maf', 'spline', 'spline-ar'] as const;
export type ToyFlowKind = (typeof TOY_FLOWS)[number];

/**
 * Per-column mean and standard deviation of the training points: a toy model for such data ends
 * in `y = μ + σ ⊙ x`, so its flow sees standardised data whatever the data's units.
 */
export interface Standardization {
  mean: number[];
  scale: number[];
}

/** Options of {@link toyFlow}: the toy apps' model settings, each with the apps' default. */
export interface ToyFlowOptions {
  /** Which flow (default `realnvp`). */
  flow?: ToyFlowKind;
  /** Event size D (default 2: points of the plane; a CSV file may have more columns). */
  size?: number;
  /** Layers: couplings, MAF or spline layers (default 8). */
  layers?: number;
  /** Hidden widths of each layer's networks (default [64, 64]). */
  hidden?: number[];
  /** Mask strategy of the coupling flows `realnvp` and `nice` (default `alternating`); the others ignore it. */
  mask?: MaskStrategy;
  /** `realnvp`: tanh on the scale network's output (default true); the others ignore it. */
  scaleTanh?: boolean;
  /** `spline`, `spline-ar`: bins K (default 8); the others ignore it. */
  bins?: number;
  /** `spline`, `spline-ar`: the splines' interval [−B, B] in standardised units (default 3); the others ignore it. */
  bound?: number;
  /** Seed of masks and initial weights (default 0). */
  seed?: number;
  /** Context width of a conditional model (the one-hot component of a labelled toy); default 0. */
  contextSize?: number;
  /** When given, the model ends in `y = μ + σ ⊙ x` (see {@link Standardization}). */
  standardization?: Standardization | null;
}

const TOY_FLOW_OPTION_NAMES = optionNames<ToyFlowOptions>()([
  'flow',
  'size',
  'layers',
  'hidden',
  'mask',
  'scaleTanh',
  'bins',
  'bound',
  'seed',
  'contextSize',
  'standardization',
]);

/**
 * The model of the toy apps, spelled once so that `toy-flow train` and the playground build the
 * same object from the same settings (and so save the same files): on a standard normal base,
 *
 * - `realnvp`: affine couplings, `y_B = x_B ⊙ exp(s(x_A)) + t(x_A)` (Dinh et al. 2017), tanh-bounded scale;
 * - `nice`: additive couplings, `y_B = x_B + t(x_A)` (Dinh et al. 2015), then a diagonal rescaling;
 * - `maf`: masked autoregressive layers (Papamakarios et al. 2017), orders reversed every layer;
 * - `spline`, `spline-ar`: rational-quadratic spline couplings or autoregressive layers (Durkan et
 *   al. 2019), then an ActNorm on the data side, which standardises the data on the first batch so
 *   that the splines' fixed interval [−B, B] fits any data scale (the toys live in [0, 1]² or [−4, 4]²).
 *
 * With `standardization`, forward (base → data) ends in `y = μ + σ ⊙ x`: the layers before it
 * model standardised data, and its log-det `Σ log σ_i` keeps log-densities in the data's own units.
 * Every layer is a member of one `Chain`, `flow.bijector`, so a layer-by-layer view sees each.
 */
export function toyFlow(options: ToyFlowOptions = {}): TransformedDistribution {
  assertKnownOptions(options, TOY_FLOW_OPTION_NAMES, 'toyFlow');
  const flow = options.flow ?? 'realnvp';
  if (!(TOY_FLOWS as readonly string[]).includes(flow)) throw new ConfigError(`toyFlow: unknown flow '${flow}'; expected one of ${TOY_FLOWS.join(', ')}`);
  const common = {
    size: options.size ?? 2,
    layers: options.layers ?? 8,
    hidden: options.hidden ?? [64, 64],
    seed: options.seed ?? 0,
    contextSize: options.contextSize,
  };
  const mask = options.mask ?? 'alternating';
  let built: { size: number; layers: Bijector[] };
  switch (flow) {
    case 'nice':
      built = niceLayers({ ...common, mask }, 'toyFlow');
      break;
    case 'maf':
      built = mafLayers(common, 'toyFlow');
      break;
    case 'spline':
    case 'spline-ar':
      built = splineLayers(
        { ...common, kind: flow === 'spline' ? 'coupling' : 'autoregressive', bins: options.bins ?? 8, bound: options.bound ?? 3 },
        'toyFlow',
      );
      built.layers = appendLayers(built.layers, () => [new ActNorm({ size: built.size })]);
      break;
    default:
      built = realNVPLayers({ ...common, mask, scaleTanh: options.scaleTanh ?? true }, 'toyFlow');
  }
  const { size } = built;
  const standardization = options.standardization;
  const layers = standardization
    ? appendLayers(built.layers, () => [new ElementwiseAffine({ size, shift: standardization.mean, logScale: standardization.scale.map(Math.log) })])
    : built.layers;
  return new TransformedDistribution(new StandardNormal(size), new Chain(layers));
}

/**
 * The shape of the learning-rate schedule both toy apps train with, as options of
 * `schedules.cosine(peak, steps, toyScheduleOptions(steps))`: a linear warm-up over a twentieth of
 * the run (at most 200 steps), then cosine decay to 2 % of the peak. Warm-up and decay scale with
 * the run, so a short run is short in every phase.
 */
export function toyScheduleOptions(totalSteps: number): { warmupSteps: number; floor: number } {
  return { warmupSteps: Math.min(200, Math.floor(totalSteps / 20)), floor: 0.02 };
}
