import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import { clenshawCurtis } from './clenshaw-curtis.js';
import {
  derivativeFloor,
  MONOTONE_OPTION_NAMES,
  type MonotoneConfig,
  type MonotoneOptions,
  MonotoneTransformer,
  monotoneSettings,
  positiveInteger,
} from './monotone-transformer.js';

/** Options of {@link UMNNTransformer}. */
export interface UMNNTransformerOptions extends MonotoneOptions {
  /** Hidden units H of the integrand network (default 8). */
  hidden?: number;
  /** Clenshaw-Curtis panels (even; panels + 1 nodes, default 16). */
  panels?: number;
  /** The integrand's floor ε: g' ≥ ε everywhere (default 1e-3). */
  minDerivative?: number;
}

const UMNN_OPTION_NAMES = optionNames<UMNNTransformerOptions>()(['hidden', 'panels', 'minDerivative', ...MONOTONE_OPTION_NAMES]);

/** What a {@link UMNNTransformer} saves. */
export type UMNNTransformerConfig = MonotoneConfig & { hidden: number; panels: number; minDerivative: number };

/** Slope of the integrand's hidden units at zero raw parameters, in units of s = t/B. */
const UNIT_SLOPE = 3;

/**
 * The unconstrained monotonic neural network of Wehenkel and Louppe, "Unconstrained Monotonic
 * Neural Networks" (NeurIPS 2019), as a transformer: g is the integral of a positive network,
 *
 * `g(x) = β + ∫_0^x f(t/B) dt`, `f(s) = ε + softplus(d + c₀ + Σ_h c_h tanh(a_h s + b_h))`,
 * `log g'(x) = log f(x/B)` (exact: no quadrature in the log-derivative),
 *
 * the integral by Clenshaw-Curtis quadrature on `panels + 1` nodes:
 * `∫_0^x f(t/B) dt ≈ (x/2) Σ_k w_k f(x (1 + ξ_k) / 2B)`.
 *
 * In UMNN the integrand is an MLP of (t, h) with h the conditioner's embedding; here the whole
 * one-hidden-layer integrand comes from the conditioner, coordinate by coordinate (its first layer
 * (a_h, b_h), its output layer (c_h, d) and the offset β: `3H + 2` parameters), so that the
 * transformer has no weights of its own and plugs into any coupling or autoregressive layer.
 * At zero raw parameters f ≡ 1 (c₀ = log(e^{1−ε} − 1)), so g is the identity; the units' slopes
 * start at 3 and their centres spread over [−B, B], so that every parameter gets a gradient.
 * Outside [−B, B] the map continues linearly ({@link MonotoneTransformer}).
 */
export class UMNNTransformer extends MonotoneTransformer<UMNNTransformerConfig> {
  static override readonly className: string = 'UMNNTransformer';
  readonly parameterCount: number;
  readonly hidden: number;
  readonly panels: number;
  readonly minDerivative: number;
  private readonly nodes: Float32Array;
  private readonly weights: Float32Array;
  private readonly centres: Float32Array;
  private readonly outputOffset: number;

  constructor(options: UMNNTransformerOptions = {}) {
    assertKnownOptions(options, UMNN_OPTION_NAMES, 'UMNNTransformer');
    super(monotoneSettings(options, 'UMNNTransformer'));
    this.hidden = positiveInteger(options.hidden ?? 8, 'UMNNTransformer', 'hidden');
    this.panels = options.panels ?? 16;
    if (!Number.isInteger(this.panels) || this.panels < 2 || this.panels % 2 !== 0)
      throw new RangeError(`UMNNTransformer: panels must be an even integer of at least 2, got ${this.panels}`);
    this.minDerivative = derivativeFloor(options.minDerivative ?? 1e-3, 'UMNNTransformer');
    this.parameterCount = 3 * this.hidden + 2;
    const rule = clenshawCurtis(this.panels);
    // Nodes of t/x on [0, 1] (the first is 1: the upper limit, where f gives the log-derivative); weights halved for [0, 1].
    this.nodes = Float32Array.from(rule.nodes, (xi) => (1 + xi) / 2);
    this.weights = Float32Array.from(rule.weights, (w) => w / 2);
    this.centres = Float32Array.from({ length: this.hidden }, (_, h) => -UNIT_SLOPE * (-1 + (2 * h + 1) / this.hidden));
    this.outputOffset = Math.log(Math.expm1(1 - this.minDerivative));
  }

  protected core(x: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [n, d] = x.shape;
    const h = this.hidden;
    const part = (begin: number, size: number) => tf.slice(parameters, [0, 0, begin], [n, d, size]);
    const offset = tf.reshape(part(0, 1), [n, d]);
    const outputBias = tf.add(part(1, 1), this.outputOffset); // [N, D, 1]
    const slopes = tf.expandDims(tf.add(part(2, h), UNIT_SLOPE), 2); // [N, D, 1, H]
    const biases = tf.expandDims(tf.add(part(2 + h, h), tf.tensor1d(this.centres)), 2);
    const outputs = tf.expandDims(part(2 + 2 * h, h), 2);
    // s = t/B at every node: [N, D, K + 1, 1].
    const s = tf.expandDims(tf.mul(tf.expandDims(tf.div(x, this.bound), 2), tf.tensor1d(this.nodes)), 3);
    const units = tf.tanh(tf.add(tf.mul(slopes, s), biases));
    const preactivation = tf.add(tf.sum(tf.mul(units, outputs), 3), outputBias); // [N, D, K + 1]
    const integrand = tf.add(tf.softplus(preactivation), this.minDerivative);
    const integral = tf.mul(tf.sum(tf.mul(integrand, tf.tensor1d(this.weights)), 2), x);
    const atX = tf.reshape(tf.slice(integrand, [0, 0, 0], [n, d, 1]), [n, d]);
    return [tf.add(offset, integral) as tf.Tensor2D, tf.log(atX) as tf.Tensor2D];
  }

  getConfig(): UMNNTransformerConfig {
    return { ...this.sharedConfig(), hidden: this.hidden, panels: this.panels, minDerivative: this.minDerivative };
  }

  static fromConfig(config: UMNNTransformerConfig): UMNNTransformer {
    return new UMNNTransformer(config);
  }
}
