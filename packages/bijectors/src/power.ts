import * as tf from '@tensorflow/tfjs-core';
import { assertInside, assertKnownOptions, Bijector, optionNames, sumEventAxes } from '@flows/core';

export interface PowerOptions {
  /** The exponent p > 0. */
  power: number;
}

const POWER_OPTION_NAMES = optionNames<PowerOptions>()(['power']);

/** What a {@link Power} saves. */
export type PowerConfig = { power: number };

/**
 * A power of positive numbers, (0, ∞) → (0, ∞), elementwise: forward `y = x^p` for x > 0, log-det
 * `Σ_i [log p + (p − 1) log x_i]`; inverse `x = y^(1/p)` for y > 0, log-det
 * `Σ_i [−log p + (1/p − 1) log y_i]`. Input outside (0, ∞) is rejected in both directions. Chain it
 * after `Exp` or `Softplus` to map the real line.
 */
export class Power extends Bijector<PowerConfig> {
  static override readonly className: string = 'Power';
  readonly eventShape = null;
  readonly power: number;

  constructor(options: PowerOptions) {
    super();
    assertKnownOptions(options, POWER_OPTION_NAMES, 'Power');
    if (!(Number.isFinite(options.power) && options.power > 0)) throw new RangeError(`Power: power must be a finite number > 0, got ${options.power}`);
    this.power = options.power;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const logX = tf.log(x);
    const events = x.size / x.shape[0];
    return [tf.pow(x, this.power), tf.add(sumEventAxes(tf.mul(logX, this.power - 1)), events * Math.log(this.power)) as tf.Tensor1D];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const logY = tf.log(y);
    const events = y.size / y.shape[0];
    return [tf.pow(y, 1 / this.power), tf.sub(sumEventAxes(tf.mul(logY, 1 / this.power - 1)), events * Math.log(this.power)) as tf.Tensor1D];
  }

  override forwardAndLogDet(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(x, 0, Infinity, 'Power.forward');
    return super.forwardAndLogDet(x, context);
  }

  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, 0, Infinity, 'Power.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig(): PowerConfig {
    return { power: this.power };
  }

  static fromConfig(config: PowerConfig): Power {
    return new Power({ power: config.power });
  }
}
