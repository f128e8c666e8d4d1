import * as tf from '@tensorflow/tfjs-core';
import { assertInside, Bijector, sumEventAxes } from '@flows/core';

/**
 * The exponential, R → (0, ∞), elementwise: forward `y = exp(x)`, log-det `Σ_i x_i`; inverse
 * `x = log y` for y > 0 (other input is rejected), log-det `−Σ_i log y_i`. With a standard normal
 * base it gives the log-normal: `p_Y(y) = N(log y; 0, 1) / Π_i y_i`.
 */
export class Exp extends Bijector<Record<string, never>> {
  static override readonly className: string = 'Exp';
  readonly eventShape = null;

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.exp(x), sumEventAxes(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const x = tf.log(y);
    return [x, tf.neg(sumEventAxes(x))];
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, 0, Infinity, 'Exp.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): Exp {
    return new Exp();
  }
}
