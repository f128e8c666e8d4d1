import * as tf from '@tensorflow/tfjs-core';
import { assertInside, Bijector, sumEventAxes } from '@flows/core';

/**
 * The logistic sigmoid, R → (0, 1): forward `y = σ(x)`, log-det `Σ_i log σ(x_i)(1 − σ(x_i)) =
 * −Σ_i [softplus(−x_i) + softplus(x_i)]`; inverse `x = logit(y) = log y − log(1 − y)` for y in (0, 1)
 * (other input is rejected), log-det `−Σ_i log y_i(1 − y_i)`.
 */
export class Sigmoid extends Bijector<Record<string, never>> {
  static override readonly className: string = 'Sigmoid';
  readonly eventShape = null;

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.sigmoid(x), tf.neg(sumEventAxes(tf.add(tf.softplus(tf.neg(x)), tf.softplus(x))))];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const logY = tf.log(y);
    const log1mY = tf.log1p(tf.neg(y));
    return [tf.sub(logY, log1mY), tf.neg(sumEventAxes(tf.add(logY, log1mY)))];
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, 0, 1, 'Sigmoid.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): Sigmoid {
    return new Sigmoid();
  }
}
