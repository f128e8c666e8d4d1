import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import { conditionerFromJSON } from '@flows/networks';
import { AdditiveCoupling, type AdditiveCouplingConfig, type AdditiveCouplingOptions } from './additive-coupling.js';

export interface IntegerAdditiveCouplingOptions extends AdditiveCouplingOptions {
  /**
   * The integer grid's scale S: the network sees x_A / S and its output is multiplied by S before
   * rounding (default 256, for 8-bit pixels: the network works on values in [0, 1)).
   */
  scale?: number;
}

const INTEGER_ADDITIVE_COUPLING_OPTION_NAMES = optionNames<IntegerAdditiveCouplingOptions>()([
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'eventShape',
  'shift',
  'scale',
]);

/** What an {@link IntegerAdditiveCoupling} saves: an additive coupling's config and the scale S. */
export type IntegerAdditiveCouplingConfig = AdditiveCouplingConfig & { scale: number };

/** round(t) with the identity as its gradient: the straight-through estimator (Bengio, Léonard and Courville 2013). */
const roundStraightThrough: (t: tf.Tensor) => tf.Tensor = tf.customGrad(((t: tf.Tensor) => ({
  value: tf.round(t),
  gradFunc: (dy: tf.Tensor) => dy,
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * The additive coupling of integer discrete flows (Hoogeboom, Peters, van den Berg and Welling,
 * "Integer Discrete Flows and Lossless Compression", NeurIPS 2019), with a binary mask b and a
 * rounded shift ⌊·⌉:
 *
 * - forward: `y = x + (1−b)⊙⌊S · m(b⊙x / S)⌉`
 * - inverse: `x = y − (1−b)⊙⌊S · m(b⊙y / S)⌉`
 * - log-det: 0 in both directions: on integers it is a bijection of ℤ^D onto itself, so a
 *   probability mass function stays one (no change of volume to account for).
 *
 * Integers in, integers out, exactly (the shift is a whole number, and the kept coordinates give
 * the same shift back). Training differentiates the rounding by the straight-through estimator.
 */
export class IntegerAdditiveCoupling extends AdditiveCoupling {
  static override readonly className: string = 'IntegerAdditiveCoupling';
  readonly scale: number;

  constructor(options: IntegerAdditiveCouplingOptions) {
    assertKnownOptions(options, INTEGER_ADDITIVE_COUPLING_OPTION_NAMES, 'IntegerAdditiveCoupling');
    const { scale = 256, ...additive } = options;
    if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`IntegerAdditiveCoupling: scale must be a positive number, got ${scale}`);
    super(additive);
    this.scale = scale;
  }

  protected override shift(input: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    const raw = super.shift(tf.div(input, this.scale), context);
    return roundStraightThrough(tf.mul(raw, this.scale));
  }

  override getConfig(): IntegerAdditiveCouplingConfig {
    return { ...super.getConfig(), scale: this.scale };
  }

  static override fromConfig(config: IntegerAdditiveCouplingConfig): IntegerAdditiveCoupling {
    return new IntegerAdditiveCoupling({
      mask: config.mask,
      eventShape: config.eventShape,
      contextSize: config.contextSize,
      shift: conditionerFromJSON(config.shift),
      scale: config.scale,
    });
  }
}
