import * as tf from '@tensorflow/tfjs';
import { Bijector, newVariable, perRow } from './bijector.js';
import { assertPositiveInteger } from './validation.js';

/**
 * ActNorm (Kingma and Dhariwal, "Glow", 2018) for vector events: a per-coordinate affine map
 * whose parameters are initialised from the first batch it sees in the density direction, so that
 * batch maps to zero mean and unit variance, and are learned afterwards.
 *
 * - forward (base → data): `y = x ⊙ exp(logScale) + bias`; log-det `Σ_i logScale_i`
 * - inverse (data → base): `x = (y − bias) ⊙ exp(−logScale)`; log-det `−Σ_i logScale_i`
 * - initialisation (first inverse call): `bias = mean(y)`, `logScale = log(std(y) + 1e-6)`.
 *
 * Whether it has been initialised is saved with the model (a non-trainable variable), so a
 * loaded model is not re-initialised. A first call in the forward direction leaves it as the
 * identity until a density call initialises it.
 */
export class ActNorm extends Bijector {
  readonly className = 'ActNorm';
  readonly eventShape: readonly number[];
  readonly bias: tf.Variable;
  readonly logScale: tf.Variable;
  readonly initialized: tf.Variable;
  private initializedCache: boolean | null = null;

  constructor(options: { size: number }) {
    super();
    assertPositiveInteger(options.size, 'ActNorm', 'size');
    this.eventShape = [options.size];
    this.bias = newVariable(() => tf.zeros([options.size]));
    this.logScale = newVariable(() => tf.zeros([options.size]));
    this.initialized = newVariable(() => tf.scalar(0), false);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.bias, this.logScale];
  }

  override get variables(): tf.Variable[] {
    return [this.bias, this.logScale, this.initialized];
  }

  /** Whether the data-dependent initialisation has happened (read once, then cached). */
  get isInitialized(): boolean {
    if (this.initializedCache === null) this.initializedCache = this.initialized.dataSync()[0] === 1;
    return this.initializedCache;
  }

  /** Sets bias and log-scale from a batch of data (data → base gives zero mean, unit variance). */
  initializeFrom(y: tf.Tensor): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(y, 0);
      this.bias.assign(mean);
      this.logScale.assign(tf.log(tf.add(tf.sqrt(variance), 1e-6)));
      this.initialized.assign(tf.scalar(1));
    });
    this.initializedCache = true;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.add(tf.mul(x, tf.exp(this.logScale)), this.bias), perRow(tf.sum(this.logScale), x.shape[0])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    if (!this.isInitialized) this.initializeFrom(y);
    return [tf.mul(tf.sub(y, this.bias), tf.exp(tf.neg(this.logScale))), perRow(tf.neg(tf.sum(this.logScale)), y.shape[0])];
  }

  getConfig(): Record<string, unknown> {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: Record<string, unknown>): ActNorm {
    return new ActNorm({ size: config.size as number });
  }
}
