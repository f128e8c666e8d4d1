import * as tf from '@tensorflow/tfjs-core';
import { assertInside, Bijector, sumEventAxes } from '@flows/core';

/**
 * The softplus, R → (0, ∞), elementwise: forward `y = log(1 + exp(x))`, log-det
 * `Σ_i log σ(x_i) = −Σ_i softplus(−x_i)`; inverse `x = log(exp(y) − 1) = y + log(−expm1(−y))` for
 * y > 0 (other input is rejected), log-det `−Σ_i log(1 − exp(−y_i)) = −Σ_i log(−expm1(−y_i))`.
 * Both directions are written with `softplus` and `expm1`, which stay accurate for large |x| and
 * small y where the naive formulas overflow or cancel.
 */
export class Softplus extends Bijector<Record<string, never>> {
  static override readonly className: string = 'Softplus';
  readonly eventShape = null;

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.softplus(x), tf.neg(sumEventAxes(tf.softplus(tf.neg(x))))];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const logOneMinusExpNegY = tf.log(tf.neg(tf.expm1(tf.neg(y))));
    return [tf.add(y, logOneMinusExpNegY), tf.neg(sumEventAxes(logOneMinusExpNegY))];
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, 0, Infinity, 'Softplus.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): Softplus {
    return new Softplus();
  }
}
