import * as tf from '@tensorflow/tfjs-core';
import { Bijector, sumEventAxes } from '@flows/core';

/** What a {@link LeakyReLU} saves. */
export type LeakyReLUConfig = { slope: number };

/**
 * Leaky ReLU, invertible for a slope α > 0 (a nonlinearity of its own in flows, for example in
 * Oliva et al., "Transformation Autoregressive Networks", ICML 2018):
 * forward `y = x` (x ≥ 0) or `αx` (x < 0), log-det `Σ_i [x_i < 0] log α`;
 * inverse `x = y` (y ≥ 0) or `y/α`, log-det `−Σ_i [y_i < 0] log α`. Elementwise: any event shape.
 */
export class LeakyReLU extends Bijector<LeakyReLUConfig> {
  static override readonly className: string = 'LeakyReLU';
  readonly eventShape = null;

  constructor(readonly slope = 0.1) {
    super();
    if (!(slope > 0) || !Number.isFinite(slope)) throw new RangeError(`LeakyReLU: slope must be positive, got ${slope}`);
  }

  // tf.leakyRelu and tf.step have gradients; comparisons (tf.less) do not. step(−x) is 1 exactly
  // where x < 0 (tf.step(0) = 0), so x = 0 counts as non-negative, as the log-det formula says.
  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const negative = tf.step(tf.neg(x));
    return [tf.leakyRelu(x, this.slope), tf.mul(sumEventAxes(negative), Math.log(this.slope)) as tf.Tensor1D];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const negative = tf.step(tf.neg(y));
    return [tf.leakyRelu(y, 1 / this.slope), tf.mul(sumEventAxes(negative), -Math.log(this.slope)) as tf.Tensor1D];
  }

  getConfig(): LeakyReLUConfig {
    return { slope: this.slope };
  }

  static fromConfig(config: LeakyReLUConfig): LeakyReLU {
    return new LeakyReLU(config.slope);
  }
}
