import * as tf from '@tensorflow/tfjs-core';
import { assertInside, Bijector, sumEventAxes } from '@flows/core';

/** What a {@link Logit} saves. */
export type LogitConfig = { alpha: number };

/**
 * The logit preprocessing of image flows (Real NVP): [0, 1] → R,
 * forward `y = logit(α + (1 − 2α) x)`, log-det `Σ_i [log(1 − 2α) − log s_i − log(1 − s_i)]` with
 * `s = α + (1 − 2α)x`; inverse `x = (σ(y) − α)/(1 − 2α)`. α in [0, 0.5) keeps s away from 0 and 1.
 */
export class Logit extends Bijector<LogitConfig> {
  static override readonly className: string = 'Logit';
  readonly eventShape = null;

  constructor(readonly alpha = 0.05) {
    super();
    if (!(alpha >= 0 && alpha < 0.5)) throw new RangeError(`Logit: alpha must be in [0, 0.5), got ${alpha}`);
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const s = tf.add(tf.mul(x, 1 - 2 * this.alpha), this.alpha);
    const logS = tf.log(s);
    const log1mS = tf.log1p(tf.neg(s));
    const logDet = tf.sub(Math.log(1 - 2 * this.alpha) * (x.size / x.shape[0]), sumEventAxes(tf.add(logS, log1mS)));
    return [tf.sub(logS, log1mS), logDet as tf.Tensor1D];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const s = tf.sigmoid(y);
    const x = tf.div(tf.sub(s, this.alpha), 1 - 2 * this.alpha);
    const logDet = tf.sub(sumEventAxes(tf.neg(tf.add(tf.softplus(tf.neg(y)), tf.softplus(y)))), Math.log(1 - 2 * this.alpha) * (y.size / y.shape[0]));
    return [x, logDet as tf.Tensor1D];
  }

  override forwardAndLogDet(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const low = -this.alpha / (1 - 2 * this.alpha);
    assertInside(x, low, 1 - low, 'Logit.forward');
    return super.forwardAndLogDet(x, context);
  }

  getConfig(): LogitConfig {
    return { alpha: this.alpha };
  }

  static fromConfig(config: LogitConfig): Logit {
    return new Logit(config.alpha);
  }
}
