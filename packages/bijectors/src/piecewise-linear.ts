import * as tf from '@tensorflow/tfjs-core';
import { assertInside, assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, sumEventAxes } from '@flows/core';

export interface PiecewiseLinearOptions {
  /** Event size D (each coordinate gets its own map). */
  size: number;
  /** Number of equal bins K (default 8). */
  bins?: number;
  /** Initial unnormalised bin parameters, D × K row-major (default zeros: the identity). */
  logits?: ArrayLike<number>;
}

/** Every option PiecewiseLinear takes; others are rejected with a message that names them. */
const PIECEWISE_LINEAR_OPTION_NAMES = optionNames<PiecewiseLinearOptions>()(['size', 'bins', 'logits']);

/** What a {@link PiecewiseLinear} saves. */
export type PiecewiseLinearConfig = { size: number; bins: number };

/**
 * The piecewise-linear monotone map on [0, 1] (Müller, McWilliams, Rousselle, Gross and Novák,
 * "Neural Importance Sampling", ACM Transactions on Graphics 2019), per coordinate, with K equal bins and bin masses φ = softmax(θ) (positive, sum 1):
 *
 * - forward: with b = ⌊K h⌋ + 1 the bin of h, `f(h) = Σ_{k<b} φ_k + (K h − b + 1) φ_b`;
 *   log-det `Σ_i log(K φ_{b_i})`
 * - inverse: the bin b with `Σ_{k<b} φ_k ≤ y < Σ_{k≤b} φ_k`, then `h = (b − 1 + (y − Σ_{k<b} φ_k)/φ_b)/K`;
 *   log-det `−Σ_i log(K φ_{b_i})`.
 *
 * It maps [0, 1] onto [0, 1]; input outside [0, 1] is rejected.
 */
export class PiecewiseLinear extends Bijector<PiecewiseLinearConfig> {
  static override readonly className: string = 'PiecewiseLinear';
  readonly eventShape: readonly number[];
  readonly bins: number;
  readonly logits: tf.Variable;

  constructor(options: PiecewiseLinearOptions) {
    assertKnownOptions(options, PIECEWISE_LINEAR_OPTION_NAMES, 'PiecewiseLinear');
    super();
    assertPositiveInteger(options.size, 'PiecewiseLinear', 'size');
    const bins = options.bins ?? 8;
    assertPositiveInteger(bins, 'PiecewiseLinear', 'bins');
    if (options.logits && options.logits.length !== options.size * bins)
      throw new RangeError(`PiecewiseLinear: logits must have ${options.size * bins} values`);
    this.eventShape = [options.size];
    this.bins = bins;
    this.logits = newVariable(() => (options.logits ? tf.tensor2d(Array.from(options.logits), [options.size, bins]) : tf.zeros([options.size, bins])));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.logits];
  }

  /** Bin masses φ [D, K] and their exclusive cumulative sums [D, K]. */
  private masses(): { phi: tf.Tensor; before: tf.Tensor } {
    const phi = tf.softmax(this.logits);
    return { phi, before: tf.cumsum(phi, 1, true) };
  }

  /** φ_b and Σ_{k<b} φ_k for the bin index of every entry ([N, D] int32 → two [N, D]). */
  private pick(bin: tf.Tensor, phi: tf.Tensor, before: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const oneHot = tf.oneHot(tf.cast(bin, 'int32') as tf.Tensor2D, this.bins); // [N, D, K]
    return [tf.sum(tf.mul(oneHot, phi), 2), tf.sum(tf.mul(oneHot, before), 2)];
  }

  protected forwardImpl(h: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { phi, before } = this.masses();
    const k = this.bins;
    const bin = tf.clipByValue(tf.floor(tf.mul(h, k)), 0, k - 1); // b − 1
    const [phiB, start] = this.pick(bin, phi, before);
    const y = tf.add(start, tf.mul(tf.sub(tf.mul(h, k), bin), phiB));
    return [y, sumEventAxes(tf.log(tf.mul(phiB, k)))];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { phi, before } = this.masses();
    const k = this.bins;
    // b − 1 = the number of bins whose start is ≤ y, minus one.
    const starts = tf.expandDims(before, 0); // [1, D, K]
    const bin = tf.clipByValue(tf.sub(tf.sum(tf.step(tf.add(tf.sub(tf.expandDims(y, 2), starts), 1e-12)), 2), 1), 0, k - 1);
    const [phiB, start] = this.pick(bin, phi, before);
    const h = tf.div(tf.add(bin, tf.div(tf.sub(y, start), phiB)), k);
    return [h, tf.neg(sumEventAxes(tf.log(tf.mul(phiB, k))))];
  }

  override forwardAndLogDet(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(x, -1e-7, 1 + 1e-7, 'PiecewiseLinear.forward');
    return super.forwardAndLogDet(x, context);
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, -1e-7, 1 + 1e-7, 'PiecewiseLinear.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): PiecewiseLinearConfig {
    return { size: this.eventShape[0], bins: this.bins };
  }

  static fromConfig(config: PiecewiseLinearConfig): PiecewiseLinear {
    return new PiecewiseLinear({ size: config.size, bins: config.bins });
  }
}
