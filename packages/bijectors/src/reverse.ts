import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, zeroLogDet } from '@flows/core';

/** Every option Reverse takes; others are rejected with a message that names them. */
const REVERSE_OPTION_NAMES: readonly string[] = ['size'];

/** What a {@link Reverse} saves. */
export type ReverseConfig = { size: number };

/**
 * Reverses the coordinates of a vector event: `y_i = x_{D−1−i}` (the permutation of `Permute`
 * with order D−1, …, 0). It is its own inverse; the log-det is 0 both ways.
 */
export class Reverse extends Bijector<ReverseConfig> {
  static override readonly className: string = 'Reverse';
  readonly eventShape: readonly number[];

  constructor(options: { size: number }) {
    assertKnownOptions(options, REVERSE_OPTION_NAMES, 'Reverse');
    assertPositiveInteger(options?.size, 'Reverse', 'size');
    super();
    this.eventShape = [options.size];
  }

  /** The order as `Permute` states it: `y_i = x_{order_i}`. */
  get order(): number[] {
    const size = this.eventShape[0];
    return Array.from({ length: size }, (_, i) => size - 1 - i);
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.reverse(x, 1), zeroLogDet(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.reverse(y, 1), zeroLogDet(y)];
  }

  getConfig(): ReverseConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: ReverseConfig): Reverse {
    return new Reverse({ size: config.size });
  }
}
