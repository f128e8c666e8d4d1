import { type AutoregressiveOptions, autoregressiveOptionsFromConfig, MaskedAutoregressive } from '@flows/bijectors';
import { RationalQuadraticSpline, type RationalQuadraticSplineOptions } from './rational-quadratic-spline.js';

/** Options of {@link SplineAutoregressive}. */
export type SplineAutoregressiveOptions = Omit<AutoregressiveOptions, 'transformer'> & RationalQuadraticSplineOptions;

/**
 * Rational-quadratic neural spline autoregressive flow (Durkan et al. 2019, "RQ-NSF (AR)"): a MAF
 * whose transformer is a {@link RationalQuadraticSpline}. Density in one pass, sampling in D passes:
 *
 * - inverse (data → base, one pass): `z_i = g(x_i; θ_i(x_<i))`, log-det `Σ_i log g'(x_i)`
 * - forward (base → data, D passes): `x_i = g⁻¹(z_i; θ_i(x_<i))`, log-det `−Σ_i log g'(x_i)`
 */
export class SplineAutoregressive extends MaskedAutoregressive {
  override readonly className: string = 'SplineAutoregressive';

  constructor(options: SplineAutoregressiveOptions) {
    super({ ...options, transformer: new RationalQuadraticSpline(options) });
  }

  static override fromConfig(config: Record<string, unknown>): SplineAutoregressive {
    const options = autoregressiveOptionsFromConfig(config);
    return new SplineAutoregressive({ ...options, ...(options.transformer as RationalQuadraticSpline).getConfig() });
  }
}
