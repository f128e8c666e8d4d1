import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, Random } from '@flows/core';

export interface RadialOptions {
  size: number;
  center?: ArrayLike<number>;
  /** Unconstrained parameters: α = softplus(alphaRaw) > 0, β = −α + softplus(betaRaw) ≥ −α. */
  alphaRaw?: number;
  betaRaw?: number;
  seed?: number;
}

/** Every option Radial takes; others are rejected with a message that names them. */
const RADIAL_OPTION_NAMES = optionNames<RadialOptions>()(['size', 'center', 'alphaRaw', 'betaRaw', 'seed']);

/** What a {@link Radial} saves. */
export type RadialConfig = { size: number };

/**
 * A radial flow (Rezende and Mohamed 2015), invertible through the reparameterisation
 * α = softplus(α̃) > 0, β = −α + softplus(β̃) ≥ −α:
 *
 * - forward: `y = x + β (x − x₀)/(α + r)`, r = |x − x₀|;
 *   log-det `(D − 1) log(1 + β h) + log(1 + β h − β r h²)`, h = 1/(α + r)
 * - inverse (analytic): ρ = |y − x₀| = r (1 + β/(α + r)) gives
 *   `r = [−(α + β − ρ) + √((α + β − ρ)² + 4αρ)]/2` and `x = x₀ + (y − x₀) r/ρ`; log-det = −(forward at x).
 */
export class Radial extends Bijector<RadialConfig> {
  static override readonly className: string = 'Radial';
  readonly eventShape: readonly number[];
  readonly center: tf.Variable;
  readonly alphaRaw: tf.Variable;
  readonly betaRaw: tf.Variable;

  constructor(options: RadialOptions) {
    assertKnownOptions(options, RADIAL_OPTION_NAMES, 'Radial');
    super();
    assertPositiveInteger(options.size, 'Radial', 'size');
    this.eventShape = [options.size];
    if (options.center && options.center.length !== options.size) throw new RangeError(`Radial: center must have length ${options.size}`);
    const center = options.center ? Float32Array.from(options.center) : new Random(options.seed ?? 0).fillNormal(new Float32Array(options.size), 0, 0.1);
    this.center = newVariable(() => tf.tensor1d(center));
    this.alphaRaw = newVariable(() => tf.scalar(options.alphaRaw ?? 0));
    this.betaRaw = newVariable(() => tf.scalar(options.betaRaw ?? 0));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.center, this.alphaRaw, this.betaRaw];
  }

  private parameters(): { alpha: tf.Tensor; beta: tf.Tensor } {
    const alpha = tf.softplus(this.alphaRaw);
    return { alpha, beta: tf.sub(tf.softplus(this.betaRaw), alpha) };
  }

  private logDet(r: tf.Tensor, alpha: tf.Tensor, beta: tf.Tensor): tf.Tensor1D {
    const h = tf.div(1, tf.add(alpha, r));
    const first = tf.mul(Math.max(0, this.eventShape[0] - 1), tf.log(tf.add(1, tf.mul(beta, h))));
    const second = tf.log(tf.sub(tf.add(1, tf.mul(beta, h)), tf.mul(tf.mul(beta, r), tf.square(h))));
    return tf.add(first, second) as tf.Tensor1D;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { alpha, beta } = this.parameters();
    const offset = tf.sub(x, this.center);
    const r = tf.sqrt(tf.sum(tf.square(offset), 1));
    const y = tf.add(x, tf.mul(tf.expandDims(tf.div(beta, tf.add(alpha, r)), 1), offset));
    return [y, this.logDet(r, alpha, beta)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { alpha, beta } = this.parameters();
    const offset = tf.sub(y, this.center);
    const rho = tf.sqrt(tf.sum(tf.square(offset), 1));
    const c = tf.sub(tf.add(alpha, beta), rho);
    const r = tf.mul(tf.add(tf.neg(c), tf.sqrt(tf.add(tf.square(c), tf.mul(tf.mul(alpha, rho), 4)))), 0.5);
    // At y = x₀ the formula gives r = 0, so the clamped ratio returns x₀ itself, the right answer.
    const ratio = tf.div(r, tf.maximum(rho, 1e-30));
    const x = tf.add(this.center, tf.mul(offset, tf.expandDims(ratio, 1)));
    return [x, tf.neg(this.logDet(r, alpha, beta))];
  }

  getConfig(): RadialConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: RadialConfig): Radial {
    return new Radial({ size: config.size });
  }
}
