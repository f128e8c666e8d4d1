import { assertKnownOptions, optionNames } from '@flows/core';
import { type AutoregressiveOptions, autoregressiveOptionsFromConfig, MaskedAutoregressive, type AutoregressiveConfig } from '@flows/bijectors';
import { RationalQuadraticSpline, type RationalQuadraticSplineOptions, SPLINE_OPTION_NAMES, splineOptions } from './rational-quadratic-spline.js';

/** Options of {@link SplineAutoregressive}. */
export type SplineAutoregressiveOptions = Omit<AutoregressiveOptions, 'transformer'> & RationalQuadraticSplineOptions;

/**
 * Rational-quadratic neural spline autoregressive flow (Durkan et al. 2019, "RQ-NSF (AR)"): a MAF
 * whose transformer is a {@link RationalQuadraticSpline}. Density in one pass, sampling in D passes:
 *
 * - inverse (data → base, one pass): `z_i = g(x_i; θ_i(x_<i))`, log-det `Σ_i log g'(x_i)`
 * - forward (base → data, D passes): `x_i = g⁻¹(z_i; θ_i(x_<i))`, log-det `−Σ_i log g'(x_i)`
 */
const SPLINE_AUTOREGRESSIVE_OPTION_NAMES = optionNames<SplineAutoregressiveOptions>()([
  'size',
  'made',
  'hidden',
  'activation',
  'order',
  'contextSize',
  'seed',
  ...SPLINE_OPTION_NAMES,
] as [
  'size',
  'made',
  'hidden',
  'activation',
  'order',
  'contextSize',
  'seed',
  'bins',
  'bound',
  'minBinSize',
  'minDerivative',
  'minBinHeight',
  'parameterization',
]);

export class SplineAutoregressive extends MaskedAutoregressive {
  static override readonly className: string = 'SplineAutoregressive';

  constructor(options: SplineAutoregressiveOptions) {
    assertKnownOptions(options, SPLINE_AUTOREGRESSIVE_OPTION_NAMES, 'SplineAutoregressive');
    super({ ...options, transformer: new RationalQuadraticSpline(splineOptions(options)) });
  }

  static override fromConfig(config: AutoregressiveConfig): SplineAutoregressive {
    const { transformer, ...options } = autoregressiveOptionsFromConfig(config);
    return new SplineAutoregressive({ ...options, ...(transformer as RationalQuadraticSpline).getConfig() });
  }
}
