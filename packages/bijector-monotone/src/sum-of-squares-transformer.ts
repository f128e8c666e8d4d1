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

/** Options of {@link SumOfSquaresTransformer}. */
export interface SumOfSquaresTransformerOptions extends MonotoneOptions {
  /** Number K of squared polynomials (default 3). */
  squares?: number;
  /** Degree r of each polynomial (default 3; g has degree 2r + 1). */
  degree?: number;
  /** The derivative's floor ε: g' ≥ ε everywhere (default 1e-3). */
  minDerivative?: number;
}

const SOS_OPTION_NAMES = optionNames<SumOfSquaresTransformerOptions>()(['squares', 'degree', 'minDerivative', ...MONOTONE_OPTION_NAMES]);

/** What a {@link SumOfSquaresTransformer} saves. */
export type SumOfSquaresTransformerConfig = MonotoneConfig & { squares: number; degree: number; minDerivative: number };

/**
 * The sum-of-squares polynomial flow of Jaini, Selby and Yu, "Sum-of-Squares Polynomial Flow"
 * (ICML 2019): the derivative is a sum of squares of polynomials, so the map is increasing, and the
 * integral is a polynomial in closed form. With s = x/B (polynomials on [−1, 1] are well conditioned),
 *
 * `g(x) = β + B [ε s + Σ_k Σ_{l,m} a_{kl} a_{km} s^{l+m+1} / (l+m+1)]`,
 * `log g'(x) = log(ε + Σ_k (Σ_{l=0}^{r} a_{kl} s^l)²)`,
 *
 * with `K(r + 1) + 1` parameters (β and the coefficients a). A sum of squares of non-constant
 * polynomials cannot be constant, so no setting is exactly the identity: at zero raw parameters
 * the first polynomial is 1 and the k-th (k ≥ 2) is `0.1 s^{1 + (k−2) mod r}`, close to the identity
 * and different from each other (equal or proportional polynomials would stay so under gradient
 * descent, wasting squares). Outside [−B, B] the map continues linearly ({@link MonotoneTransformer}).
 */
export class SumOfSquaresTransformer extends MonotoneTransformer<SumOfSquaresTransformerConfig> {
  static override readonly className: string = 'SumOfSquaresTransformer';
  readonly parameterCount: number;
  readonly squares: number;
  readonly degree: number;
  readonly minDerivative: number;
  private readonly offsets: Float32Array;
  /** 1/(l + m + 1) for each (l, m), row by row. */
  private readonly integralScales: Float32Array;

  constructor(options: SumOfSquaresTransformerOptions = {}) {
    assertKnownOptions(options, SOS_OPTION_NAMES, 'SumOfSquaresTransformer');
    super(monotoneSettings(options, 'SumOfSquaresTransformer'));
    this.squares = positiveInteger(options.squares ?? 3, 'SumOfSquaresTransformer', 'squares');
    this.degree = positiveInteger(options.degree ?? 3, 'SumOfSquaresTransformer', 'degree');
    this.minDerivative = derivativeFloor(options.minDerivative ?? 1e-3, 'SumOfSquaresTransformer');
    const terms = this.degree + 1;
    this.parameterCount = this.squares * terms + 1;
    this.offsets = new Float32Array(this.squares * terms);
    this.offsets[0] = 1;
    for (let k = 1; k < this.squares; k++) this.offsets[k * terms + 1 + ((k - 1) % this.degree)] = 0.1;
    this.integralScales = new Float32Array(terms * terms);
    for (let l = 0; l < terms; l++) for (let m = 0; m < terms; m++) this.integralScales[l * terms + m] = 1 / (l + m + 1);
  }

  protected core(x: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [n, d] = x.shape;
    const terms = this.degree + 1;
    const s = tf.div(x, this.bound);
    // s^0 … s^(2r+1) by products (a power's gradient at s = 0 would be 0 · ∞).
    const powerList: tf.Tensor[] = [tf.onesLike(s)];
    for (let j = 1; j <= 2 * this.degree + 1; j++) powerList.push(tf.mul(powerList[j - 1], s));
    const powers = tf.stack(powerList, 2) as tf.Tensor3D; // [N, D, 2r + 2]
    const offset = tf.reshape(tf.slice(parameters, [0, 0, 0], [n, d, 1]), [n, d]);
    const raw = tf.slice(parameters, [0, 0, 1], [n, d, this.squares * terms]);
    const coefficients = tf.reshape(tf.add(raw, tf.tensor1d(this.offsets)), [n, d, this.squares, terms]);
    const low = tf.expandDims(tf.slice(powers, [0, 0, 0], [n, d, terms]), 2); // [N, D, 1, r + 1]
    const polynomials = tf.sum(tf.mul(coefficients, low), 3); // [N, D, K]
    const derivative = tf.add(tf.sum(tf.square(polynomials), 2), this.minDerivative);
    // Σ_k a_k a_kᵀ, then weighted by s^{l+m+1}/(l+m+1).
    const gram = tf.sum(tf.mul(tf.expandDims(coefficients, 4), tf.expandDims(coefficients, 3)), 2); // [N, D, r+1, r+1]
    // Row l holds s^{l+1} … s^{l+r+1}: slices rather than a gather, whose gradient some backends (wasm) lack.
    const rows = Array.from({ length: terms }, (_, l) => tf.slice(powers, [0, 0, l + 1], [n, d, terms]));
    const weights = tf.mul(tf.concat(rows, 2), tf.tensor1d(this.integralScales));
    const integral = tf.add(tf.sum(tf.mul(tf.reshape(gram, [n, d, terms * terms]), weights), 2), tf.mul(s, this.minDerivative));
    return [tf.add(offset, tf.mul(integral, this.bound)) as tf.Tensor2D, tf.log(derivative) as tf.Tensor2D];
  }

  getConfig(): SumOfSquaresTransformerConfig {
    return { ...this.sharedConfig(), squares: this.squares, degree: this.degree, minDerivative: this.minDerivative };
  }

  static fromConfig(config: SumOfSquaresTransformerConfig): SumOfSquaresTransformer {
    return new SumOfSquaresTransformer(config);
  }
}
