import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Module, assertKnownOptions, optionNames } from '@flows/core';
import type { Transformer } from '@flows/bijectors';
import { splineBin, splineForwardInBin, splineInverseInBin } from './rational-quadratic-bins.js';

/**
 * The inside mask as a constant for autodiff: comparisons have no gradient in TensorFlow.js
 * (the tape fails on them), and their derivative is 0 wherever it exists.
 */
const insideMask = tf.customGrad((...args: unknown[]) => {
  const [u, bound] = args as [tf.Tensor, tf.Scalar];
  return { value: tf.cast(tf.lessEqual(tf.abs(u), bound), 'float32'), gradFunc: () => [tf.zerosLike(u), tf.zerosLike(bound)] };
}) as unknown as (u: tf.Tensor, bound: tf.Scalar) => tf.Tensor;

/** `mask ⊙ a + (1 − mask) ⊙ b`: both branches are finite, so the blend has a clean gradient. */
function select(mask: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.mul(mask, a), tf.mul(tf.sub(1, mask), b)) as tf.Tensor2D;
}

/** A row over the K + 1 knots: 1 where `at(j)`, else 0. */
function knotRow(k: number, at: (j: number) => boolean): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: k + 1 }, (_, j) => (at(j) ? 1 : 0)));
}

/** Options of {@link RationalQuadraticSpline}. */
export interface RationalQuadraticSplineOptions {
  /** Number of bins K (default 8). */
  bins?: number;
  /** The spline lives on [−B, B]; outside it the map is the identity (default 3). */
  bound?: number;
  /** Smallest bin width and height as a fraction of 2B (default 1e-3). */
  minBinSize?: number;
  /** Smallest knot derivative (default 1e-3); with the `zuko` parameterization, zuko's `slope`. */
  minDerivative?: number;
  /** Smallest bin height as a fraction of 2B (default `minBinSize`; nflows sets widths and heights apart). */
  minBinHeight?: number;
  /**
   * How raw parameters become widths, heights and derivatives, for splines trained elsewhere:
   * - `flows` (default): softmax with the floors; derivatives `min + softplus(raw + c)`, c such
   *   that a zero raw value gives derivative 1;
   * - `nflows`: the same floors; derivatives `min + softplus(raw)` (nflows and normflows, linear tails);
   * - `zuko`: no floors; widths and heights `softmax(r / (1 + |2r / log s|))`, derivatives
   *   `exp(r / (1 + |r / log s|))` with s = `minDerivative` (zuko's `slope`); `minBinSize` must be 0.
   */
  parameterization?: 'flows' | 'nflows' | 'zuko';
}

/**
 * The monotone rational-quadratic spline of Durkan, Bekasov, Murray and Papamakarios, "Neural
 * Spline Flows" (NeurIPS 2019), after Gregory and Delbourgo (1982), as a transformer with
 * `3K − 1` parameters per coordinate: K bin widths and K heights (softmax, then a floor) and
 * K − 1 interior knot derivatives (softplus, then a floor; a zero raw value gives derivative 1);
 * `parameterization` reads them as nflows or zuko do instead, for splines trained there.
 * The derivatives at ±B are 1, so the identity tails join smoothly.
 *
 * In bin k, with knots (x_k, y_k), width w_k, height h_k, slope s_k = h_k / w_k, knot derivatives
 * δ_k, δ_{k+1} and ξ = (x − x_k) / w_k:
 * - forward: `g(x) = y_k + h_k (s_k ξ² + δ_k ξ(1−ξ)) / (s_k + (δ_{k+1} + δ_k − 2 s_k) ξ(1−ξ))`
 * - forward log-derivative:
 *   `log g'(x) = log(s_k² (δ_{k+1} ξ² + 2 s_k ξ(1−ξ) + δ_k (1−ξ)²)) − 2 log(s_k + (δ_{k+1} + δ_k − 2 s_k) ξ(1−ξ))`
 * - inverse: ξ is the root in [0, 1] of `a ξ² + b ξ + c = 0` with
 *   `a = h_k (s_k − δ_k) + (y − y_k) β`, `b = h_k δ_k − (y − y_k) β`, `c = −s_k (y − y_k)`,
 *   `β = δ_{k+1} + δ_k − 2 s_k`, taken as `ξ = 2c / (−b − √(b² − 4ac))` (no cancellation);
 *   `x = x_k + ξ w_k`
 * - inverse log-derivative: `−log g'(x)` at that x.
 *
 * Outside [−B, B] both directions are the identity with log-derivative 0; inputs are clamped
 * before the spline arithmetic, so no NaN or infinity arises for any finite input.
 */
/** The spline's own options, also taken by the spline layers. */
export const SPLINE_OPTION_NAMES = optionNames<RationalQuadraticSplineOptions>()([
  'bins',
  'bound',
  'minBinSize',
  'minDerivative',
  'minBinHeight',
  'parameterization',
]);

/** What a {@link RationalQuadraticSpline} saves (the height floor and parameterization only when they are not the defaults). */
export type RationalQuadraticSplineConfig = {
  bins: number;
  bound: number;
  minBinSize: number;
  minDerivative: number;
  minBinHeight?: number;
  parameterization?: 'nflows' | 'zuko';
};

/** The spline's options out of a layer's options. */
export function splineOptions(options: RationalQuadraticSplineOptions): RationalQuadraticSplineOptions {
  return {
    bins: options.bins,
    bound: options.bound,
    minBinSize: options.minBinSize,
    minDerivative: options.minDerivative,
    ...(options.minBinHeight !== undefined ? { minBinHeight: options.minBinHeight } : {}),
    ...(options.parameterization !== undefined ? { parameterization: options.parameterization } : {}),
  };
}

const PARAMETERIZATIONS = ['flows', 'nflows', 'zuko'] as const;

export class RationalQuadraticSpline extends Module<RationalQuadraticSplineConfig> implements Transformer {
  static override readonly className: string = 'RationalQuadraticSpline';
  readonly bins: number;
  readonly bound: number;
  readonly minBinSize: number;
  readonly minDerivative: number;
  readonly minBinHeight: number;
  readonly parameterization: 'flows' | 'nflows' | 'zuko';
  readonly parameterCount: number;

  constructor(options: RationalQuadraticSplineOptions = {}) {
    super();
    assertKnownOptions(options, SPLINE_OPTION_NAMES, 'RationalQuadraticSpline');
    this.parameterization = options.parameterization ?? 'flows';
    if (!PARAMETERIZATIONS.includes(this.parameterization)) {
      throw new ConfigError(`RationalQuadraticSpline: parameterization must be one of ${PARAMETERIZATIONS.join(', ')}, got '${String(this.parameterization)}'`);
    }
    const zuko = this.parameterization === 'zuko';
    this.bins = options.bins ?? 8;
    this.bound = options.bound ?? 3;
    this.minBinSize = options.minBinSize ?? (zuko ? 0 : 1e-3);
    this.minBinHeight = options.minBinHeight ?? this.minBinSize;
    this.minDerivative = options.minDerivative ?? 1e-3;
    if (!Number.isInteger(this.bins) || this.bins < 1) throw new ConfigError(`RationalQuadraticSpline: bins must be a positive integer, got ${this.bins}`);
    if (!(this.bound > 0 && Number.isFinite(this.bound))) throw new ConfigError(`RationalQuadraticSpline: bound must be a positive number, got ${this.bound}`);
    if (zuko && (this.minBinSize !== 0 || this.minBinHeight !== 0)) {
      throw new ConfigError('RationalQuadraticSpline: the zuko parameterization has no bin floors; minBinSize and minBinHeight must be 0');
    }
    for (const [name, value] of [
      ['minBinSize', this.minBinSize],
      ['minBinHeight', this.minBinHeight],
    ] as const) {
      if (!zuko && !(value > 0 && value * this.bins < 1))
        throw new ConfigError(`RationalQuadraticSpline: ${name} must be positive and below 1/bins, got ${value}`);
    }
    if (!(this.minDerivative > 0 && this.minDerivative < 1))
      throw new ConfigError(`RationalQuadraticSpline: minDerivative must lie in (0, 1), got ${this.minDerivative}`);
    this.parameterCount = 3 * this.bins - 1;
  }

  /** zuko's soft clamp `r / (1 + |factor · r / log s|)`, s = minDerivative (zuko's slope). */
  private softClamp(raw: tf.Tensor, factor: number): tf.Tensor {
    return tf.div(raw, tf.add(1, tf.abs(tf.mul(raw, factor / Math.log(this.minDerivative)))));
  }

  /** Knot positions (K + 1 values from −B to B) from raw sizes, with the smallest size `floor` (a fraction of 2B). */
  private knots(raw: tf.Tensor3D, floor: number): { positions: tf.Tensor3D; sizes: tf.Tensor3D } {
    const k = this.bins;
    const softmax = tf.softmax(this.parameterization === 'zuko' ? (this.softClamp(raw, 2) as tf.Tensor3D) : raw, -1);
    const fractions = floor === 0 ? softmax : tf.add(floor, tf.mul(1 - floor * k, softmax));
    const cumulative = tf.cumsum(fractions, 2);
    const [n, d] = raw.shape;
    // The first knot is −B and the last exactly B (not a rounded sum), so the tails join exactly:
    // [0, c₁ … c_K] with c_K replaced by 1. A pad and two constant rows, not a concatenation of
    // three pieces, whose kernels (and their gradient, a split) copy slowly on wasm.
    const padded = tf.pad(cumulative, [
      [0, 0],
      [0, 0],
      [1, 0],
    ]);
    const positions = tf.add(
      tf.mul(
        padded,
        knotRow(k, (j) => j < k),
      ),
      knotRow(k, (j) => j === k),
    );
    const scaled = tf.sub(tf.mul(positions, 2 * this.bound), this.bound) as tf.Tensor3D;
    const sizes = tf.sub(tf.slice(scaled, [0, 0, 1], [n, d, k]), tf.slice(scaled, [0, 0, 0], [n, d, k])) as tf.Tensor3D;
    return { positions: scaled, sizes };
  }

  private split(parameters: tf.Tensor3D) {
    const k = this.bins;
    const [n, d] = parameters.shape;
    const widthsRaw = tf.slice(parameters, [0, 0, 0], [n, d, k]);
    const heightsRaw = tf.slice(parameters, [0, 0, k], [n, d, k]);
    const xs = this.knots(widthsRaw, this.minBinSize);
    const ys = this.knots(heightsRaw, this.minBinHeight);
    const interior = k > 1 ? this.interiorDerivatives(tf.slice(parameters, [0, 0, 2 * k], [n, d, k - 1])) : tf.zeros([n, d, 0]);
    // δ₀ = δ_K = 1 (the linear tails' slope) around the K − 1 interior derivatives.
    const derivatives = tf.add(
      tf.pad(interior, [
        [0, 0],
        [0, 0],
        [1, 1],
      ]),
      knotRow(k, (j) => j === 0 || j === k),
    ) as tf.Tensor3D;
    return { xs, ys, derivatives };
  }

  /** The K − 1 interior knot derivatives from their raw values, as the parameterization says. */
  private interiorDerivatives(raw: tf.Tensor): tf.Tensor {
    if (this.parameterization === 'zuko') return tf.exp(this.softClamp(raw, 1));
    if (this.parameterization === 'nflows') return tf.add(this.minDerivative, tf.softplus(raw));
    // softplus(raw + c) with c = log(e^(1 − min) − 1), so a zero raw value gives derivative exactly 1.
    const offset = Math.log(Math.expm1(1 - this.minDerivative));
    return tf.add(this.minDerivative, tf.softplus(tf.add(raw, offset)));
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { xs, ys, derivatives } = this.split(parameters);
    const inside = insideMask(u, tf.scalar(this.bound));
    const x = tf.clipByValue(u, -this.bound, this.bound) as tf.Tensor2D;
    const [y, logDerivative] = splineForwardInBin(x, splineBin(x, xs.positions, xs, ys, derivatives));
    return [select(inside, y, u), tf.mul(inside, logDerivative) as tf.Tensor2D];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { xs, ys, derivatives } = this.split(parameters);
    const inside = insideMask(v, tf.scalar(this.bound));
    const y = tf.clipByValue(v, -this.bound, this.bound) as tf.Tensor2D;
    const [x, logDerivative] = splineInverseInBin(y, splineBin(y, ys.positions, xs, ys, derivatives));
    return [select(inside, x, v), tf.mul(inside, tf.neg(logDerivative)) as tf.Tensor2D];
  }

  getConfig(): RationalQuadraticSplineConfig {
    return {
      bins: this.bins,
      bound: this.bound,
      minBinSize: this.minBinSize,
      minDerivative: this.minDerivative,
      ...(this.minBinHeight !== this.minBinSize ? { minBinHeight: this.minBinHeight } : {}),
      ...(this.parameterization !== 'flows' ? { parameterization: this.parameterization } : {}),
    };
  }

  static fromConfig(config: RationalQuadraticSplineConfig): RationalQuadraticSpline {
    return new RationalQuadraticSpline(config);
  }
}
