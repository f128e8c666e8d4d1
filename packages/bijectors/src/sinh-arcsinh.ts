import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, Bijector, optionNames, sumEventAxes } from '@flows/core';

export interface SinhArcsinhOptions {
  /** ε, any finite number: shifts mass to one side (default 0). */
  skewness?: number;
  /** δ > 0: above 1 heavier tails, below 1 lighter (default 1). */
  tailweight?: number;
}

const SINH_ARCSINH_OPTION_NAMES = optionNames<SinhArcsinhOptions>()(['skewness', 'tailweight']);

/** What a {@link SinhArcsinh} saves. */
export type SinhArcsinhConfig = { skewness: number; tailweight: number };

/**
 * The sinh-arcsinh transformation (Jones and Pewsey, "Sinh-arcsinh distributions", Biometrika 96(4),
 * 2009; parameterised as TensorFlow Probability's `SinhArcsinh`), R → R elementwise:
 * forward `y = sinh((asinh(x) + ε) δ)`; inverse `x = sinh(asinh(y)/δ − ε)`.
 * Since `dy/dx = δ cosh((asinh(x) + ε) δ) / √(1 + x²)` and `cosh(asinh(y)) = √(1 + y²)`,
 * forward log-det `Σ_i [log δ + ½ log(1 + y_i²) − ½ log(1 + x_i²)]`, inverse log-det its negative.
 * With a standard normal base, ε = 0 and δ = 1 is the identity; ε skews and δ sets the tails.
 * Finite for |x|, |y| below about 1.8e19 (where y² leaves float32).
 */
export class SinhArcsinh extends Bijector<SinhArcsinhConfig> {
  static override readonly className: string = 'SinhArcsinh';
  readonly eventShape = null;
  readonly skewness: number;
  readonly tailweight: number;

  constructor(options: SinhArcsinhOptions = {}) {
    super();
    assertKnownOptions(options, SINH_ARCSINH_OPTION_NAMES, 'SinhArcsinh');
    this.skewness = options.skewness ?? 0;
    this.tailweight = options.tailweight ?? 1;
    if (!Number.isFinite(this.skewness)) throw new RangeError(`SinhArcsinh: skewness must be finite, got ${this.skewness}`);
    if (!(Number.isFinite(this.tailweight) && this.tailweight > 0))
      throw new RangeError(`SinhArcsinh: tailweight must be a finite number > 0, got ${this.tailweight}`);
  }

  /** Σ_i [log δ + ½ log(1 + y_i²) − ½ log(1 + x_i²)]: the forward log-det. */
  private forwardLogDet(x: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
    const events = x.size / x.shape[0];
    const halfLogRatio = tf.mul(tf.sub(tf.log1p(tf.square(y)), tf.log1p(tf.square(x))), 0.5);
    return tf.add(sumEventAxes(halfLogRatio), events * Math.log(this.tailweight)) as tf.Tensor1D;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const y = tf.sinh(tf.mul(tf.add(tf.asinh(x), this.skewness), this.tailweight));
    return [y, this.forwardLogDet(x, y)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const x = tf.sinh(tf.sub(tf.div(tf.asinh(y), this.tailweight), this.skewness));
    return [x, tf.neg(this.forwardLogDet(x, y))];
  }

  getConfig(): SinhArcsinhConfig {
    return { skewness: this.skewness, tailweight: this.tailweight };
  }

  static fromConfig(config: SinhArcsinhConfig): SinhArcsinh {
    return new SinhArcsinh({ skewness: config.skewness, tailweight: config.tailweight });
  }
}
