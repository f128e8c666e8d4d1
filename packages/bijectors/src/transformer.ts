import * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, ConfigError, optionNames } from '@flows/core';

/**
 * A monotone elementwise map `g(·; θ)` whose parameters θ come from a network: the piece that
 * coupling and autoregressive bijectors share (nflows and zuko call it a "transformer").
 *
 * `forward(u, θ)` returns `[g(u; θ), log g'(u; θ)]` elementwise and `inverse(v, θ)` returns
 * `[g⁻¹(v; θ), log (g⁻¹)'(v; θ)]`. `u`, `v` have shape `[N, D]` and θ `[N, D, parameterCount]`.
 * The raw network outputs are the parameters: a transformer maps them to valid ones itself
 * (positive scales, widths summing to one), so any finite θ gives a bijection.
 */
export interface Transformer {
  readonly className: string;
  /** Parameters per transformed coordinate. */
  readonly parameterCount: number;
  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D];
  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D];
  getConfig(): object;
}

/** Options of {@link AffineTransformer}. */
export interface AffineTransformerOptions {
  /**
   * Soft bound B on the log-scale: `s = B tanh(raw / B)` keeps exp(s) in (e^−B, e^B) so a badly
   * initialised or diverging network cannot overflow; `null` for no bound (default 5).
   */
  logScaleBound?: number | null;
}

/** What an {@link AffineTransformer} saves. */
export type AffineTransformerConfig = {
  logScaleBound: number | null;
};

/** Every option AffineTransformer takes; others are rejected with a message that names them. */
const AFFINE_TRANSFORMER_OPTION_NAMES = optionNames<AffineTransformerOptions>()(['logScaleBound']);

/**
 * `g(u) = u ⊙ exp(s) + m` with θ = (m, raw s): the affine transformer of MAF and IAF.
 * `log g' = s`; `g⁻¹(v) = (v − m) ⊙ exp(−s)`, `log (g⁻¹)' = −s`.
 */
export class AffineTransformer extends Module<AffineTransformerConfig> implements Transformer {
  static override readonly className: string = 'AffineTransformer';
  readonly parameterCount = 2;
  readonly logScaleBound: number | null;

  constructor(options: AffineTransformerOptions = {}) {
    super();
    assertKnownOptions(options, AFFINE_TRANSFORMER_OPTION_NAMES, 'AffineTransformer');
    const bound = options.logScaleBound === undefined ? 5 : options.logScaleBound;
    if (bound !== null && !(bound > 0 && Number.isFinite(bound)))
      throw new ConfigError(`AffineTransformer: logScaleBound must be a positive number or null, got ${bound}`);
    this.logScaleBound = bound;
  }

  private split(parameters: tf.Tensor3D): { shift: tf.Tensor2D; logScale: tf.Tensor2D } {
    const [n, d] = parameters.shape;
    const [shift, raw] = tf.split(parameters, 2, 2).map((t) => tf.reshape(t, [n, d]) as tf.Tensor2D);
    const logScale = this.logScaleBound === null ? raw : (tf.mul(tf.tanh(tf.div(raw, this.logScaleBound)), this.logScaleBound) as tf.Tensor2D);
    return { shift, logScale };
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { shift, logScale } = this.split(parameters);
    return [tf.add(tf.mul(u, tf.exp(logScale)), shift) as tf.Tensor2D, logScale];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { shift, logScale } = this.split(parameters);
    return [tf.mul(tf.sub(v, shift), tf.exp(tf.neg(logScale))) as tf.Tensor2D, tf.neg(logScale) as tf.Tensor2D];
  }

  getConfig(): AffineTransformerConfig {
    return { logScaleBound: this.logScaleBound };
  }

  static fromConfig(config: AffineTransformerConfig): AffineTransformer {
    return new AffineTransformer({ logScaleBound: config.logScaleBound });
  }
}

/**
 * The numerically stable gated step of IAF (Kingma, Salimans, Jozefowicz, Chen, Sutskever and
 * Welling, "Improved Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016, section 4):
 * `g(u) = σ ⊙ u + (1 − σ) ⊙ m` with `σ = sigmoid(s + 2)` (the offset starts the gate near 1, so
 * a fresh layer is close to the identity). `log g' = log σ`; `g⁻¹(v) = (v − (1 − σ) m) / σ`.
 */
export class GatedTransformer extends Module<Record<string, never>> implements Transformer {
  static override readonly className: string = 'GatedTransformer';
  readonly parameterCount = 2;

  private gate(parameters: tf.Tensor3D): { m: tf.Tensor2D; sigma: tf.Tensor2D; logSigma: tf.Tensor2D } {
    const [n, d] = parameters.shape;
    const [m, s] = tf.split(parameters, 2, 2).map((t) => tf.reshape(t, [n, d]) as tf.Tensor2D);
    const shifted = tf.add(s, 2);
    // log sigmoid(a) = −softplus(−a), stable for large |a|.
    return { m, sigma: tf.sigmoid(shifted) as tf.Tensor2D, logSigma: tf.neg(tf.softplus(tf.neg(shifted))) as tf.Tensor2D };
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { m, sigma, logSigma } = this.gate(parameters);
    return [tf.add(tf.mul(sigma, u), tf.mul(tf.sub(1, sigma), m)) as tf.Tensor2D, logSigma];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const { m, sigma, logSigma } = this.gate(parameters);
    return [tf.div(tf.sub(v, tf.mul(tf.sub(1, sigma), m)), sigma) as tf.Tensor2D, tf.neg(logSigma) as tf.Tensor2D];
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): GatedTransformer {
    return new GatedTransformer();
  }
}
