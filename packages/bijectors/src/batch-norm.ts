import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, ConfigError, newVariable, optionNames, perRow } from '@flows/core';

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Vector events of this size, or… */
  size?: number;
  /** …image events `[H, W, C]` with statistics per channel. */
  shape?: number[];
  /** Weight of the newest batch in the running averages (default 0.05). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
}

/** Every option BatchNorm takes; others are rejected with a message that names them. */
const BATCH_NORM_OPTION_NAMES = optionNames<BatchNormOptions>()(['size', 'shape', 'momentum', 'epsilon']);

/** What a {@link BatchNorm} saves. */
export type BatchNormConfig = ({ size: number } | { shape: number[] }) & { momentum: number; epsilon: number };

/**
 * Batch normalisation as a bijector (Dinh et al., "Density estimation using Real NVP", 2017;
 * Papamakarios et al., MAF, 2017), with learnable log-scale γ and shift β per coordinate or channel.
 * In the density direction, with statistics (μ, v):
 *
 * - inverse (data → base): `z = (y − μ) / √(v + ε) ⊙ exp(γ) + β`; log-det `H·W · Σ_c (γ_c − ½ log(v_c + ε))`
 * - forward (base → data): `y = (z − β) ⊙ exp(−γ) ⊙ √(v + ε) + μ`; log-det the negative.
 *
 * **Training mode** (`training = true`, the default): the inverse uses the batch's own mean and
 * variance (treated as constants of the batch, as in Real NVP, so the log-det is the one above with
 * the batch variance) and updates the running averages `μ ← (1 − m) μ + m μ_B`, likewise v.
 * **Evaluation mode** (`training = false`): both directions use the running averages, so the map is
 * a fixed bijection. The forward direction always uses the running averages (base samples are not
 * data). Set `training = false` to evaluate or sample.
 */
export class BatchNorm extends Bijector<BatchNormConfig> {
  static override readonly className: string = 'BatchNorm';
  readonly eventShape: readonly number[];
  readonly logScale: tf.Variable;
  readonly shift: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVariance: tf.Variable;
  readonly momentum: number;
  readonly epsilon: number;
  /** Whether the inverse uses and records batch statistics. */
  training = true;
  private readonly positions: number;

  constructor(options: BatchNormOptions) {
    assertKnownOptions(options, BATCH_NORM_OPTION_NAMES, 'BatchNorm');
    super();
    const shape = options.shape ? [...options.shape] : options.size !== undefined ? [options.size] : null;
    if (!shape) throw new ConfigError('BatchNorm: give { size } for vectors or { shape: [H, W, C] } for images');
    shape.forEach((d, i) => assertPositiveInteger(d, 'BatchNorm', `shape[${i}]`));
    this.momentum = options.momentum ?? 0.05;
    this.epsilon = options.epsilon ?? 1e-5;
    if (!(this.momentum > 0 && this.momentum <= 1)) throw new ConfigError(`BatchNorm: momentum must lie in (0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new ConfigError(`BatchNorm: epsilon must be positive, got ${this.epsilon}`);
    this.eventShape = shape;
    const channels = shape[shape.length - 1];
    this.positions = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    this.logScale = newVariable(() => tf.zeros([channels]));
    this.shift = newVariable(() => tf.zeros([channels]));
    this.runningMean = newVariable(() => tf.zeros([channels]), false);
    this.runningVariance = newVariable(() => tf.ones([channels]), false);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.logScale, this.shift];
  }

  override get variables(): tf.Variable[] {
    return [this.logScale, this.shift, this.runningMean, this.runningVariance];
  }

  /** Per-row log-det of the density direction for a variance v: H·W · Σ (γ − ½ log(v + ε)). */
  private inverseLogDet(variance: tf.Tensor, batch: number): tf.Tensor1D {
    const perChannel = tf.sub(this.logScale, tf.mul(0.5, tf.log(tf.add(variance, this.epsilon))));
    return perRow(tf.mul(tf.sum(perChannel), this.positions), batch);
  }

  protected forwardImpl(z: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const std = tf.sqrt(tf.add(this.runningVariance, this.epsilon));
    const y = tf.add(tf.mul(tf.mul(tf.sub(z, this.shift), tf.exp(tf.neg(this.logScale))), std), this.runningMean);
    return [y, tf.neg(this.inverseLogDet(this.runningVariance, z.shape[0]))];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    let mean: tf.Tensor = this.runningMean;
    let variance: tf.Tensor = this.runningVariance;
    if (this.training) {
      const axes = Array.from({ length: y.rank - 1 }, (_, i) => i);
      ({ mean, variance } = tf.moments(y, axes));
      this.recordBatch(mean, variance);
    }
    const z = tf.add(tf.mul(tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, this.epsilon))), tf.exp(this.logScale)), this.shift);
    return [z, this.inverseLogDet(variance, y.shape[0])];
  }

  private recordBatch(mean: tf.Tensor, variance: tf.Tensor): void {
    // Inside a gradient tape the statistics are tape tensors; the running averages take plain copies.
    tf.tidy(() => {
      const m = this.momentum;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(tf.clone(mean), m)));
      this.runningVariance.assign(tf.add(tf.mul(this.runningVariance, 1 - m), tf.mul(tf.clone(variance), m)));
    });
  }

  getConfig(): BatchNormConfig {
    return {
      ...(this.eventShape.length === 1 ? { size: this.eventShape[0] } : { shape: [...this.eventShape] }),
      momentum: this.momentum,
      epsilon: this.epsilon,
    };
  }

  static fromConfig(config: BatchNormConfig): BatchNorm {
    return new BatchNorm(config);
  }
}
