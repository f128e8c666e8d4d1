import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, ConfigError, Module, optionNames } from '@flows/core';
import type { Transformer } from '@flows/bijectors';
import { splineBin, splineForwardInBin, splineInverseInBin } from '@flows/bijector-spline';
import { wrapAngles } from './angles.js';

/** Options of {@link CircularRationalQuadraticSpline}. */
export interface CircularSplineOptions {
  /** Number of bins K (default 8). */
  bins?: number;
  /** Smallest bin width and height as a fraction of 2π (default 1e-3). */
  minBinSize?: number;
  /** Smallest knot derivative (default 1e-3). */
  minDerivative?: number;
  /** Follow the spline by a rotation φ from the conditioner (one more parameter; default true). */
  shift?: boolean;
}

/** The spline's options, also taken by the circular layers. */
export const CIRCULAR_SPLINE_OPTION_NAMES = optionNames<CircularSplineOptions>()(['bins', 'minBinSize', 'minDerivative', 'shift']);

/** What a {@link CircularRationalQuadraticSpline} saves. */
export type CircularSplineConfig = { bins: number; minBinSize: number; minDerivative: number; shift: boolean };

/** The spline's options out of a layer's options. */
export function circularSplineOptions(options: CircularSplineOptions): CircularSplineOptions {
  return { bins: options.bins, minBinSize: options.minBinSize, minDerivative: options.minDerivative, shift: options.shift };
}

/**
 * The circular rational-quadratic spline of Rezende, Papamakarios, Racanière, Albergo, Kanwar,
 * Shanahan and Cranmer, "Normalizing Flows on Tori and Spheres" (ICML 2020, section 2.1): a
 * monotone rational-quadratic spline on [−π, π] (Durkan et al. 2019; formulas on
 * `RationalQuadraticSpline` of `@flows/bijector-spline`) with the end knots fixed at (−π, −π) and
 * (π, π) and **one derivative shared by both ends**, δ_K = δ_0, so that g is a diffeomorphism of the
 * circle (C¹ across the cut at ±π), followed by a rotation:
 *
 * - forward: `y = wrap(g(wrap(x)) + φ)`, `log y' = log g'(wrap(x))`
 * - inverse: `x = g⁻¹(wrap(y − φ))`, `log x' = −log g'(x)`
 *
 * with `wrap(a) ∈ [−π, π)`. Parameters per angle: K widths and K heights (softmax with a floor),
 * K derivatives δ_0…δ_{K−1} (`min + softplus(raw + c)`, a zero raw value giving 1) and, with
 * `shift` (default), the rotation φ (the raw value, any real: the wrap makes it an angle): 3K + 1.
 * At zero raw parameters the map is the identity. Any input is read as an angle, and every output
 * lies in [−π, π).
 */
export class CircularRationalQuadraticSpline extends Module<CircularSplineConfig> implements Transformer {
  static override readonly className: string = 'CircularRationalQuadraticSpline';
  readonly bins: number;
  readonly minBinSize: number;
  readonly minDerivative: number;
  readonly shift: boolean;
  readonly parameterCount: number;

  constructor(options: CircularSplineOptions = {}) {
    super();
    assertKnownOptions(options, CIRCULAR_SPLINE_OPTION_NAMES, 'CircularRationalQuadraticSpline');
    this.bins = options.bins ?? 8;
    this.minBinSize = options.minBinSize ?? 1e-3;
    this.minDerivative = options.minDerivative ?? 1e-3;
    this.shift = options.shift ?? true;
    if (!Number.isInteger(this.bins) || this.bins < 2)
      throw new ConfigError(`CircularRationalQuadraticSpline: bins must be an integer of at least 2, got ${this.bins}`);
    if (!(this.minBinSize > 0 && this.minBinSize * this.bins < 1))
      throw new ConfigError(`CircularRationalQuadraticSpline: minBinSize must be positive and below 1/bins, got ${this.minBinSize}`);
    if (!(this.minDerivative > 0 && this.minDerivative < 1))
      throw new ConfigError(`CircularRationalQuadraticSpline: minDerivative must lie in (0, 1), got ${this.minDerivative}`);
    if (typeof this.shift !== 'boolean') throw new ConfigError(`CircularRationalQuadraticSpline: shift must be true or false, got ${String(this.shift)}`);
    this.parameterCount = 3 * this.bins + (this.shift ? 1 : 0);
  }

  /** K + 1 knot positions from −π to π (the ends exact), and the K bin sizes. */
  private knots(raw: tf.Tensor3D): { positions: tf.Tensor3D; sizes: tf.Tensor3D } {
    const k = this.bins;
    const [n, d] = raw.shape;
    const fractions = tf.add(this.minBinSize, tf.mul(1 - this.minBinSize * k, tf.softmax(raw, -1)));
    const interior = tf.slice(tf.cumsum(fractions, 2), [0, 0, 0], [n, d, k - 1]);
    const unit = tf.concat([tf.zeros([n, d, 1]), interior, tf.ones([n, d, 1])], 2);
    const positions = tf.sub(tf.mul(unit, 2 * Math.PI), Math.PI) as tf.Tensor3D;
    const sizes = tf.sub(tf.slice(positions, [0, 0, 1], [n, d, k]), tf.slice(positions, [0, 0, 0], [n, d, k])) as tf.Tensor3D;
    return { positions, sizes };
  }

  private parts(parameters: tf.Tensor3D) {
    const k = this.bins;
    const [n, d] = parameters.shape;
    const xs = this.knots(tf.slice(parameters, [0, 0, 0], [n, d, k]));
    const ys = this.knots(tf.slice(parameters, [0, 0, k], [n, d, k]));
    // softplus(raw + c) with c = log(e^(1 − min) − 1): a zero raw value gives derivative exactly 1.
    const offset = Math.log(Math.expm1(1 - this.minDerivative));
    const own = tf.add(this.minDerivative, tf.softplus(tf.add(tf.slice(parameters, [0, 0, 2 * k], [n, d, k]), offset)));
    // δ_K = δ_0: the circular boundary condition.
    const derivatives = tf.concat([own, tf.slice(own, [0, 0, 0], [n, d, 1])], 2) as tf.Tensor3D;
    const rotation = this.shift ? tf.reshape(tf.slice(parameters, [0, 0, 3 * k], [n, d, 1]), [n, d]) : tf.zeros([n, d]);
    return { xs, ys, derivatives, rotation };
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { xs, ys, derivatives, rotation } = this.parts(parameters);
    const x = wrapAngles(u) as tf.Tensor2D;
    const [y, logDerivative] = splineForwardInBin(x, splineBin(x, xs.positions, xs, ys, derivatives));
    return [wrapAngles(tf.add(y, rotation)) as tf.Tensor2D, logDerivative];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { xs, ys, derivatives, rotation } = this.parts(parameters);
    const y = wrapAngles(tf.sub(v, rotation)) as tf.Tensor2D;
    const [x, logDerivative] = splineInverseInBin(y, splineBin(y, ys.positions, xs, ys, derivatives));
    // The last bin's right end is π, which is −π on the circle: wrap keeps x in [−π, π).
    return [wrapAngles(x) as tf.Tensor2D, tf.neg(logDerivative) as tf.Tensor2D];
  }

  getConfig(): CircularSplineConfig {
    return { bins: this.bins, minBinSize: this.minBinSize, minDerivative: this.minDerivative, shift: this.shift };
  }

  static fromConfig(config: CircularSplineConfig): CircularRationalQuadraticSpline {
    return new CircularRationalQuadraticSpline(config);
  }
}
