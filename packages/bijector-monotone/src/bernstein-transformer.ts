import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import {
  derivativeFloor,
  MONOTONE_OPTION_NAMES,
  type MonotoneConfig,
  type MonotoneOptions,
  MonotoneTransformer,
  monotoneSettings,
  positiveInteger,
} from './monotone-transformer.js';

/** Options of {@link BernsteinTransformer}. */
export interface BernsteinTransformerOptions extends MonotoneOptions {
  /** Degree M (default 16; M + 1 parameters). */
  degree?: number;
  /** The derivative's floor ε: g' ≥ ε everywhere (default 1e-3). */
  minDerivative?: number;
}

const BERNSTEIN_OPTION_NAMES = optionNames<BernsteinTransformerOptions>()(['degree', 'minDerivative', ...MONOTONE_OPTION_NAMES]);

/** What a {@link BernsteinTransformer} saves. */
export type BernsteinTransformerConfig = MonotoneConfig & { degree: number; minDerivative: number };

/** Binomial coefficients C(m, 0…m) in float64. */
function binomials(m: number): Float32Array {
  const out = new Float64Array(m + 1);
  out[0] = 1;
  for (let k = 1; k <= m; k++) out[k] = (out[k - 1] * (m - k + 1)) / k;
  return Float32Array.from(out);
}

/**
 * A Bernstein polynomial on a bounded domain with linear tails, as in Bernstein-polynomial flows
 * (Sick, Hothorn and Dürr, "Deep transformation models", ICPR 2020; Ramasinghe, Fernando, Khan
 * and Barnes, "Robust normalizing flows using Bernstein-type polynomials", BMVC 2022). With
 * s = (x + B)/(2B) ∈ [0, 1] and the basis `b_{k,M}(s) = C(M,k) s^k (1 − s)^{M−k}`:
 *
 * `g(x) = Σ_{k=0}^{M} ϑ_k b_{k,M}(s)`,
 * `log g'(x) = log(M/2B) + log Σ_{k=0}^{M−1} (ϑ_{k+1} − ϑ_k) b_{k,M−1}(s)`,
 *
 * increasing because the coefficients are: `ϑ_0 = −B + θ_0`,
 * `ϑ_k − ϑ_{k−1} = (2B/M)ε + softplus(θ_k + c)` (so g' ≥ ε), with c such that zero raw parameters
 * space the ϑ evenly from −B to B, where g is exactly the identity (Bernstein polynomials
 * reproduce straight lines). M + 1 parameters. Outside [−B, B] the map continues linearly with the
 * slope at ±B ({@link MonotoneTransformer}).
 */
export class BernsteinTransformer extends MonotoneTransformer<BernsteinTransformerConfig> {
  static override readonly className: string = 'BernsteinTransformer';
  readonly parameterCount: number;
  readonly degree: number;
  readonly minDerivative: number;
  private readonly binomial: Float32Array;
  private readonly binomialBelow: Float32Array;
  private readonly incrementOffset: number;
  private readonly incrementFloor: number;

  constructor(options: BernsteinTransformerOptions = {}) {
    assertKnownOptions(options, BERNSTEIN_OPTION_NAMES, 'BernsteinTransformer');
    super(monotoneSettings(options, 'BernsteinTransformer'));
    this.degree = positiveInteger(options.degree ?? 16, 'BernsteinTransformer', 'degree', 2);
    if (this.degree > 64) throw new RangeError(`BernsteinTransformer: degree must be at most 64 (float32 binomials), got ${this.degree}`);
    this.minDerivative = derivativeFloor(options.minDerivative ?? 1e-3, 'BernsteinTransformer');
    this.parameterCount = this.degree + 1;
    this.binomial = binomials(this.degree);
    this.binomialBelow = binomials(this.degree - 1);
    const spacing = (2 * this.bound) / this.degree;
    this.incrementFloor = spacing * this.minDerivative;
    this.incrementOffset = Math.log(Math.expm1(spacing - this.incrementFloor));
  }

  protected core(x: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [n, d] = x.shape;
    const m = this.degree;
    const s = tf.div(tf.add(x, this.bound), 2 * this.bound);
    const t = tf.sub(1, s);
    // s^j and (1 − s)^j for j = 0…M, by products (no 0^0 and no 0 · ∞ in the gradient).
    const sPowers: tf.Tensor[] = [tf.onesLike(s)];
    const tPowers: tf.Tensor[] = [tf.onesLike(t)];
    for (let j = 1; j <= m; j++) {
      sPowers.push(tf.mul(sPowers[j - 1], s));
      tPowers.push(tf.mul(tPowers[j - 1], t));
    }
    const basis = (degree: number, coefficients: Float32Array) =>
      tf.mul(tf.stack(sPowers.slice(0, degree + 1), 2), tf.mul(tf.stack(tPowers.slice(0, degree + 1).reverse(), 2), tf.tensor1d(coefficients)));
    const start = tf.sub(tf.slice(parameters, [0, 0, 0], [n, d, 1]), this.bound);
    const increments = tf.add(tf.softplus(tf.add(tf.slice(parameters, [0, 0, 1], [n, d, m]), this.incrementOffset)), this.incrementFloor);
    const thetas = tf.cumsum(tf.concat([start, increments], 2), 2);
    const value = tf.sum(tf.mul(thetas, basis(m, this.binomial)), 2);
    const slope = tf.sum(tf.mul(increments, basis(m - 1, this.binomialBelow)), 2);
    return [value as tf.Tensor2D, tf.add(tf.log(slope), Math.log(m / (2 * this.bound))) as tf.Tensor2D];
  }

  getConfig(): BernsteinTransformerConfig {
    return { ...this.sharedConfig(), degree: this.degree, minDerivative: this.minDerivative };
  }

  static fromConfig(config: BernsteinTransformerConfig): BernsteinTransformer {
    return new BernsteinTransformer(config);
  }
}
