import * as tf from '@tensorflow/tfjs-core';
import { assertInside, Bijector, sumEventAxes } from '@flows/core';

/**
 * tanh, R → (−1, 1): forward `y = tanh x`, log-det `Σ_i log(1 − tanh² x_i) = Σ_i 2[log 2 − x_i −
 * softplus(−2x_i)]` (stable for large |x|); inverse `x = atanh y` for y in (−1, 1), log-det
 * `−Σ_i log(1 − y_i²)`.
 */
export class Tanh extends Bijector<Record<string, never>> {
  static override readonly className: string = 'Tanh';
  readonly eventShape = null;

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const logDet = tf.mul(sumEventAxes(tf.sub(tf.sub(Math.LN2, x), tf.softplus(tf.mul(x, -2)))), 2);
    return [tf.tanh(x), logDet as tf.Tensor1D];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const x = tf.mul(tf.sub(tf.log1p(y), tf.log1p(tf.neg(y))), 0.5);
    return [x, tf.neg(sumEventAxes(tf.log1p(tf.neg(tf.square(y)))))];
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, -1, 1, 'Tanh.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): Tanh {
    return new Tanh();
  }
}
