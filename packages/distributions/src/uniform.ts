import * as tf from '@tensorflow/tfjs-core';
import { type Random, assertKnownOptions } from '@flows/core';
import { Distribution, uniformTensor } from './distribution.js';

/** Every option Uniform takes; others are rejected with a message that names them. */
const UNIFORM_OPTION_NAMES: readonly string[] = ['low', 'high'];

/** What a {@link Uniform} saves: the box's corners. */
export type UniformConfig = { low: number[]; high: number[] };

/**
 * The uniform distribution on the box `[low_1, high_1] × … × [low_D, high_D]` (bounds inclusive):
 * `log p(x) = −Σ_i log(high_i − low_i)` inside, `−∞` outside.
 */
export class Uniform extends Distribution<UniformConfig> {
  static override readonly className: string = 'Uniform';
  readonly eventShape: readonly number[];
  readonly low: number[];
  readonly high: number[];
  private readonly logDensity: number;

  constructor(options: { low: number[]; high: number[] }) {
    assertKnownOptions(options, UNIFORM_OPTION_NAMES, 'Uniform');
    super();
    const { low, high } = options;
    if (!Array.isArray(low) || !Array.isArray(high) || low.length === 0 || low.length !== high.length) {
      throw new RangeError('Uniform: low and high must be non-empty arrays of the same length');
    }
    low.forEach((l, i) => {
      if (!Number.isFinite(l) || !Number.isFinite(high[i]) || !(high[i] > l)) {
        throw new RangeError(`Uniform: need finite low[${i}] < high[${i}], got ${l} and ${high[i]}`);
      }
    });
    this.low = [...low];
    this.high = [...high];
    this.eventShape = [low.length];
    this.logDensity = -low.reduce((sum, l, i) => sum + Math.log(high[i] - l), 0);
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const inside = tf.all(tf.logicalAnd(tf.greaterEqual(x, tf.tensor1d(this.low)), tf.lessEqual(x, tf.tensor1d(this.high))), 1);
    return tf.where(inside, tf.fill([x.shape[0]], this.logDensity), tf.fill([x.shape[0]], -Infinity)) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    const unit = uniformTensor([n, this.low.length], random);
    const width = tf.tensor1d(this.high.map((h, i) => h - this.low[i]));
    return tf.add(tf.mul(unit, width), tf.tensor1d(this.low));
  }

  /** `H = Σ_i log(high_i − low_i)` nats. */
  override entropy(): number {
    return -this.logDensity;
  }

  getConfig(): UniformConfig {
    return { low: this.low, high: this.high };
  }

  static fromConfig(config: UniformConfig): Uniform {
    return new Uniform(config);
  }
}
