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
   * initialised or diverging network cannot overflow; `null` for no bound (default 5 with
   * `scale: 'exp'`, none otherwise).
   */
  logScaleBound?: number | null;
  /**
   * How the bound applies: `tanh` (default, `B tanh(raw / B)`) or `rational`, `raw / (1 + |raw| / B)`,
   * zuko's soft clamp (its `slope` is e^−B), for models trained with it.
   */
  logScaleClamp?: 'tanh' | 'rational';
  /**
   * The scale σ from the raw parameter: `exp` (default, σ = exp(s) with the bound above),
   * `softplus` (σ = softplus(raw) + ε, nflows' masked affine autoregressive layer) or `sigmoid`
   * (σ = sigmoid(raw + 2) + ε, nflows' affine coupling and normflows' `sigmoid_inv`); the
   * log-derivative is log σ. For models trained with those libraries; the bound must be null.
   */
  scale?: 'exp' | 'softplus' | 'sigmoid';
  /** ε of the `softplus` and `sigmoid` scales, σ's floor (default 1e-3, nflows' value). */
  scaleEpsilon?: number;
}

/** What an {@link AffineTransformer} saves (the scale settings only when they are not the defaults). */
export type AffineTransformerConfig = {
  logScaleBound: number | null;
  logScaleClamp?: 'tanh' | 'rational';
  scale?: 'exp' | 'softplus' | 'sigmoid';
  scaleEpsilon?: number;
};

/** Every option AffineTransformer takes; others are rejected with a message that names them. */
const AFFINE_TRANSFORMER_OPTION_NAMES = optionNames<AffineTransformerOptions>()(['logScaleBound', 'logScaleClamp', 'scale', 'scaleEpsilon']);

const SCALES = ['exp', 'softplus', 'sigmoid'] as const;

/**
 * `g(u) = u ⊙ σ + m` with θ = (m, raw s): the affine transformer of MAF and IAF. With the
 * default exponential scale σ = exp(s): `log g' = s`; `g⁻¹(v) = (v − m) ⊙ exp(−s)`,
 * `log (g⁻¹)' = −s`. The `softplus` and `sigmoid` scales take σ from the raw value as nflows and
 * normflows do (`log g' = log σ`), so that models trained there import exactly.
 */
export class AffineTransformer extends Module<AffineTransformerConfig> implements Transformer {
  static override readonly className: string = 'AffineTransformer';
  readonly parameterCount = 2;
  readonly logScaleBound: number | null;
  readonly logScaleClamp: 'tanh' | 'rational';
  readonly scale: 'exp' | 'softplus' | 'sigmoid';
  readonly scaleEpsilon: number;

  constructor(options: AffineTransformerOptions = {}) {
    super();
    assertKnownOptions(options, AFFINE_TRANSFORMER_OPTION_NAMES, 'AffineTransformer');
    this.scale = options.scale ?? 'exp';
    if (!SCALES.includes(this.scale)) throw new ConfigError(`AffineTransformer: scale must be one of ${SCALES.join(', ')}, got '${String(this.scale)}'`);
    const bound = options.logScaleBound === undefined ? (this.scale === 'exp' ? 5 : null) : options.logScaleBound;
    if (bound !== null && !(bound > 0 && Number.isFinite(bound)))
      throw new ConfigError(`AffineTransformer: logScaleBound must be a positive number or null, got ${bound}`);
    if (bound !== null && this.scale !== 'exp')
      throw new ConfigError(`AffineTransformer: logScaleBound applies to scale 'exp' only; give null with scale '${this.scale}'`);
    this.logScaleBound = bound;
    this.logScaleClamp = options.logScaleClamp ?? 'tanh';
    if (this.logScaleClamp !== 'tanh' && this.logScaleClamp !== 'rational')
      throw new ConfigError(`AffineTransformer: logScaleClamp must be 'tanh' or 'rational', got '${String(this.logScaleClamp)}'`);
    this.scaleEpsilon = options.scaleEpsilon ?? 1e-3;
    if (!(this.scaleEpsilon >= 0 && Number.isFinite(this.scaleEpsilon)))
      throw new ConfigError(`AffineTransformer: scaleEpsilon must be a non-negative number, got ${this.scaleEpsilon}`);
  }

  private split(parameters: tf.Tensor3D): { shift: tf.Tensor2D; logScale: tf.Tensor2D } {
    const [n, d] = parameters.shape;
    const [shift, raw] = tf.split(parameters, 2, 2).map((t) => tf.reshape(t, [n, d]) as tf.Tensor2D);
    if (this.scale !== 'exp') {
      const sigma = this.scale === 'softplus' ? tf.softplus(raw) : tf.sigmoid(tf.add(raw, 2));
      return { shift, logScale: tf.log(tf.add(sigma, this.scaleEpsilon)) as tf.Tensor2D };
    }
    const bound = this.logScaleBound;
    if (bound === null) return { shift, logScale: raw };
    const logScale = this.logScaleClamp === 'rational' ? tf.div(raw, tf.add(1, tf.div(tf.abs(raw), bound))) : tf.mul(tf.tanh(tf.div(raw, bound)), bound);
    return { shift, logScale: logScale as tf.Tensor2D };
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
    return {
      logScaleBound: this.logScaleBound,
      ...(this.logScaleClamp !== 'tanh' ? { logScaleClamp: this.logScaleClamp } : {}),
      ...(this.scale !== 'exp' ? { scale: this.scale, scaleEpsilon: this.scaleEpsilon } : {}),
    };
  }

  static fromConfig(config: AffineTransformerConfig): AffineTransformer {
    return new AffineTransformer(config);
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
