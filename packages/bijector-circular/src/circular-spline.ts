import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, ConfigError, Module, optionNames } from '@flows/core';
import type { Transformer } from '@flows/bijectors';
import { wrapAngles } from './angles.js';

/**
 * The bin of each value as a one-hot constant of the tape: comparisons have no gradient in
 * TensorFlow.js (the tape fails on them), and the bin's derivative is 0 wherever it exists.
 */
const binOneHot = tf.customGrad((...args: unknown[]) => {
  const [value, interior] = args as [tf.Tensor2D, tf.Tensor3D];
  const index = tf.sum(tf.cast(tf.greaterEqual(tf.expandDims(value, 2), interior), 'int32'), 2);
  return { value: tf.cast(tf.oneHot(index, interior.shape[2] + 1), 'float32'), gradFunc: () => [tf.zerosLike(value), tf.zerosLike(interior)] };
}) as unknown as (value: tf.Tensor2D, interior: tf.Tensor3D) => tf.Tensor3D;

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
    return { xs, ys, derivatives, rotation, n, d };
  }

  private binParameters(value: tf.Tensor2D, searched: tf.Tensor3D, parts: ReturnType<CircularRationalQuadraticSpline['parts']>) {
    const { xs, ys, derivatives, n, d } = parts;
    const k = this.bins;
    const oneHot = binOneHot(value, tf.slice(searched, [0, 0, 1], [n, d, k - 1]));
    const pick = (values: tf.Tensor3D, offset = 0) => tf.sum(tf.mul(oneHot, tf.slice(values, [0, 0, offset], [n, d, k])), 2) as tf.Tensor2D;
    const width = pick(xs.sizes);
    const height = pick(ys.sizes);
    return {
      xLeft: pick(xs.positions),
      width,
      yLeft: pick(ys.positions),
      height,
      slope: tf.div(height, width),
      deltaLeft: pick(derivatives),
      deltaRight: pick(derivatives, 1),
    };
  }

  private logDerivative(xi: tf.Tensor, p: { slope: tf.Tensor; deltaLeft: tf.Tensor; deltaRight: tf.Tensor }): tf.Tensor2D {
    const oneMinus = tf.sub(1, xi);
    const cross = tf.mul(xi, oneMinus);
    const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
    const denominator = tf.add(p.slope, tf.mul(beta, cross));
    const numerator = tf.mul(
      tf.square(p.slope),
      tf.add(tf.add(tf.mul(p.deltaRight, tf.square(xi)), tf.mul(tf.mul(2, p.slope), cross)), tf.mul(p.deltaLeft, tf.square(oneMinus))),
    );
    return tf.sub(tf.log(numerator), tf.mul(2, tf.log(denominator))) as tf.Tensor2D;
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const parts = this.parts(parameters);
    const x = wrapAngles(u) as tf.Tensor2D;
    const p = this.binParameters(x, parts.xs.positions, parts);
    const xi = tf.clipByValue(tf.div(tf.sub(x, p.xLeft), p.width), 0, 1);
    const cross = tf.mul(xi, tf.sub(1, xi));
    const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
    const numerator = tf.mul(p.height, tf.add(tf.mul(p.slope, tf.square(xi)), tf.mul(p.deltaLeft, cross)));
    const y = tf.add(p.yLeft, tf.div(numerator, tf.add(p.slope, tf.mul(beta, cross))));
    return [wrapAngles(tf.add(y, parts.rotation)) as tf.Tensor2D, this.logDerivative(xi, p)];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const parts = this.parts(parameters);
    const y = wrapAngles(tf.sub(v, parts.rotation)) as tf.Tensor2D;
    const p = this.binParameters(y, parts.ys.positions, parts);
    const offset = tf.sub(y, p.yLeft);
    const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
    const a = tf.add(tf.mul(p.height, tf.sub(p.slope, p.deltaLeft)), tf.mul(offset, beta));
    const b = tf.sub(tf.mul(p.height, p.deltaLeft), tf.mul(offset, beta));
    const c = tf.neg(tf.mul(p.slope, offset));
    const discriminant = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
    // ξ = 2c / (−b − √(b² − 4ac)): the root in [0, 1] without cancellation.
    const xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(discriminant))), 0, 1);
    // The last bin's right end is π, which is −π on the circle: wrap keeps x in [−π, π).
    const x = wrapAngles(tf.add(p.xLeft, tf.mul(xi, p.width))) as tf.Tensor2D;
    return [x, tf.neg(this.logDerivative(xi, p)) as tf.Tensor2D];
  }

  getConfig(): CircularSplineConfig {
    return { bins: this.bins, minBinSize: this.minBinSize, minDerivative: this.minDerivative, shift: this.shift };
  }

  static fromConfig(config: CircularSplineConfig): CircularRationalQuadraticSpline {
    return new CircularRationalQuadraticSpline(config);
  }
}
