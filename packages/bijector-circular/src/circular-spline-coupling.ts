import { assertKnownOptions, optionNames, Random } from '@flows/core';
import { type ConditionerSpec, type MaskedCouplingOptions, TransformerCoupling, type TransformerCouplingConfig } from '@flows/bijectors';
import { CIRCULAR_SPLINE_OPTION_NAMES, CircularRationalQuadraticSpline, type CircularSplineOptions, circularSplineOptions } from './circular-spline.js';
import { PeriodicMLP } from './periodic-mlp.js';

/** Options of {@link CircularSplineCoupling}. */
export interface CircularSplineCouplingOptions extends Omit<MaskedCouplingOptions, 'eventShape'>, CircularSplineOptions {
  /** Network D + context → D (3K + 1); default a {@link PeriodicMLP} with a zero last layer (the identity at start). */
  conditioner?: ConditionerSpec;
}

const CIRCULAR_SPLINE_COUPLING_OPTION_NAMES = optionNames<CircularSplineCouplingOptions>()([
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'conditioner',
  ...CIRCULAR_SPLINE_OPTION_NAMES,
] as ['mask', 'hidden', 'activation', 'contextSize', 'seed', 'conditioner', 'bins', 'minBinSize', 'minDerivative', 'shift']);

/**
 * A coupling of angles (Rezende et al. 2020's circular spline coupling): the angles with mask 0
 * go through a {@link CircularRationalQuadraticSpline} (and its rotation) whose parameters a
 * {@link PeriodicMLP} computes from the angles with mask 1 (through cos and sin) and the context,
 * so that the layer is a diffeomorphism of the torus [−π, π)^D:
 *
 * - forward (base → data): `y = b⊙x + (1−b)⊙g(x; θ(b⊙x))`, log-det `Σ_i (1−b_i) log g'(x_i)`
 * - inverse (data → base): `x = b⊙y + (1−b)⊙g⁻¹(y; θ(b⊙y))`, log-det `−Σ_i (1−b_i) log g'(x_i)`
 *
 * The kept angles pass unchanged: give angles in [−π, π) (every output of the transformed ones is).
 */
export class CircularSplineCoupling extends TransformerCoupling {
  static override readonly className: string = 'CircularSplineCoupling';

  constructor(options: CircularSplineCouplingOptions) {
    assertKnownOptions(options, CIRCULAR_SPLINE_COUPLING_OPTION_NAMES, 'CircularSplineCoupling');
    const transformer = new CircularRationalQuadraticSpline(circularSplineOptions(options));
    const random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
    const conditioner =
      options.conditioner ??
      new PeriodicMLP({
        angles: options.mask.length,
        contextSize: options.contextSize ?? 0,
        outputSize: options.mask.length * transformer.parameterCount,
        hidden: options.hidden ?? [64, 64],
        activation: options.activation,
        seed: random.nextUint32(),
      });
    super({ ...options, seed: random, transformer, conditioner }, 'CircularSplineCoupling');
  }

  static override fromConfig(config: TransformerCouplingConfig): CircularSplineCoupling {
    const { transformer, ...options } = TransformerCoupling.optionsFromConfig(config);
    return new CircularSplineCoupling({ ...options, ...(transformer as CircularRationalQuadraticSpline).getConfig() });
  }
}
