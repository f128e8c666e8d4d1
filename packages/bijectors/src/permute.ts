import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, BijectorInputError, optionNames, Random, zeroLogDet } from '@flows/core';

/**
 * `x[:, order]` with the gradient `dy[:, inverseOrder]`. Autodiff of `tf.gather` scatters the
 * gradient back with `unsortedSegmentSum`, which the CPU backend runs in O(N·D²), seconds per step
 * on MNIST-sized rows (bench/results.md). A permutation's gradient is the inverse permutation, one gather.
 */
function permuteColumns(x: tf.Tensor, order: tf.Tensor1D, inverseOrder: tf.Tensor1D): tf.Tensor {
  const permute = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.gather(input, order, 1),
    gradFunc: (dy: tf.Tensor) => tf.gather(dy, inverseOrder, 1),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return permute(x);
}

export interface PermuteOptions {
  /** The order: `y_i = x_{order_i}`. Give it, or give `size` and `seed` for a random one. */
  order?: number[];
  size?: number;
  seed?: number | Random;
}

/** Every option Permute takes; others are rejected with a message that names them. */
const PERMUTE_OPTION_NAMES = optionNames<PermuteOptions>()(['order', 'size', 'seed']);

/** What a {@link Permute} saves: the order itself (a random one is drawn once). */
export type PermuteConfig = { order: number[] };

/**
 * Reorders the coordinates of a vector event.
 *
 * - forward: `y_i = x_{π(i)}`; inverse: `x_{π(i)} = y_i`
 * - log-det: 0 both ways (a permutation matrix has |det| = 1)
 *
 * A random order is drawn once from the seeded generator and stored in the config.
 */
export class Permute extends Bijector<PermuteConfig> {
  static override readonly className: string = 'Permute';
  readonly eventShape: readonly number[];
  readonly order: number[];
  readonly inverseOrder: number[];
  private readonly orderTensor: tf.Tensor1D;
  private readonly inverseOrderTensor: tf.Tensor1D;

  constructor(options: PermuteOptions) {
    assertKnownOptions(options, PERMUTE_OPTION_NAMES, 'Permute');
    super();
    let order = options.order;
    if (!order) {
      assertPositiveInteger(options.size, 'Permute', 'size');
      const random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
      order = random.permutation(options.size);
    }
    const size = order.length;
    const seen = new Array<boolean>(size).fill(false);
    for (const i of order) {
      if (!Number.isInteger(i) || i < 0 || i >= size || seen[i]) {
        throw new BijectorInputError(`Permute: order must be a permutation of 0..${size - 1}, got [${order.join(', ')}]`);
      }
      seen[i] = true;
    }
    this.order = [...order];
    this.inverseOrder = new Array<number>(size);
    order.forEach((source, target) => (this.inverseOrder[source] = target));
    this.eventShape = [size];
    this.orderTensor = tf.keep(tf.tensor1d(this.order, 'int32'));
    this.inverseOrderTensor = tf.keep(tf.tensor1d(this.inverseOrder, 'int32'));
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [permuteColumns(x, this.orderTensor, this.inverseOrderTensor), zeroLogDet(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [permuteColumns(y, this.inverseOrderTensor, this.orderTensor), zeroLogDet(y)];
  }

  getConfig(): PermuteConfig {
    return { order: this.order };
  }

  static fromConfig(config: PermuteConfig): Permute {
    return new Permute({ order: config.order });
  }

  override dispose(): void {
    this.orderTensor.dispose();
    this.inverseOrderTensor.dispose();
  }
}
