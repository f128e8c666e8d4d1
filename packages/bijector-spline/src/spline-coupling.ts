import { assertKnownOptions, optionNames } from '@flows/core';
import { type ConditionerSpec, type MaskedCouplingOptions, TransformerCoupling, type TransformerCouplingConfig } from '@flows/bijectors';
import { RationalQuadraticSpline, type RationalQuadraticSplineOptions, SPLINE_OPTION_NAMES, splineOptions } from './rational-quadratic-spline.js';

/** Options of {@link SplineCoupling}. */
export interface SplineCouplingOptions extends MaskedCouplingOptions, RationalQuadraticSplineOptions {
  /** Network D + context → D (3K − 1); default an MLP with a zero last layer (the identity at start). */
  conditioner?: ConditionerSpec;
}

/**
 * Rational-quadratic neural spline coupling (Durkan et al. 2019, "RQ-NSF (C)"): the coordinates
 * with mask 0 go through a {@link RationalQuadraticSpline} on [−B, B] whose widths, heights and
 * derivatives a network computes from the coordinates with mask 1 (and the context).
 *
 * - forward (base → data): `y = b⊙x + (1−b)⊙g(x; θ(b⊙x))`, log-det `Σ_i (1−b_i) log g'(x_i)`
 * - inverse (data → base): `x = b⊙y + (1−b)⊙g⁻¹(y; θ(b⊙y))`, log-det `−Σ_i (1−b_i) log g'(x_i)`
 *
 * g and its derivative are given on {@link RationalQuadraticSpline}; outside [−B, B] it is the identity.
 */
const SPLINE_COUPLING_OPTION_NAMES = optionNames<SplineCouplingOptions>()([
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'eventShape',
  'conditioner',
  ...SPLINE_OPTION_NAMES,
] as [
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'eventShape',
  'conditioner',
  'bins',
  'bound',
  'minBinSize',
  'minDerivative',
  'minBinHeight',
  'parameterization',
]);

export class SplineCoupling extends TransformerCoupling {
  static override readonly className: string = 'SplineCoupling';

  constructor(options: SplineCouplingOptions) {
    assertKnownOptions(options, SPLINE_COUPLING_OPTION_NAMES, 'SplineCoupling');
    super({ ...options, transformer: new RationalQuadraticSpline(splineOptions(options)) }, 'SplineCoupling');
  }

  static override fromConfig(config: TransformerCouplingConfig): SplineCoupling {
    const { transformer, ...options } = TransformerCoupling.optionsFromConfig(config);
    return new SplineCoupling({ ...options, ...(transformer as RationalQuadraticSpline).getConfig() });
  }
}
