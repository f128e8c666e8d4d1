import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames } from '@flows/core';
import { wrapAngles } from './angles.js';

/** Options of {@link CircularShift}. */
export interface CircularShiftOptions {
  /** Number of angles D. */
  size: number;
  /** Initial rotations φ (default 0). */
  shift?: ArrayLike<number>;
  /** Learn φ (default true). */
  trainable?: boolean;
}

const CIRCULAR_SHIFT_OPTION_NAMES = optionNames<CircularShiftOptions>()(['size', 'shift', 'trainable']);

/** What a {@link CircularShift} saves (φ is a weight). */
export type CircularShiftConfig = { size: number; trainable: boolean };

/**
 * A rotation of each angle, the circle's translation (Rezende et al. 2020):
 *
 * - forward: `y = wrap(x + φ)`, log-det 0
 * - inverse: `x = wrap(y − φ)`, log-det 0
 *
 * with `wrap(a) ∈ [−π, π)`. Between circular spline layers it moves their fixed cut at ±π.
 */
export class CircularShift extends Bijector<CircularShiftConfig> {
  static override readonly className: string = 'CircularShift';
  readonly eventShape: readonly number[];
  readonly shift: tf.Variable;
  private readonly trainable: boolean;

  constructor(options: CircularShiftOptions) {
    super();
    assertKnownOptions(options, CIRCULAR_SHIFT_OPTION_NAMES, 'CircularShift');
    assertPositiveInteger(options.size, 'CircularShift', 'size');
    const { size } = options;
    if (options.shift !== undefined && options.shift.length !== size)
      throw new RangeError(`CircularShift: shift must have ${size} values, got ${options.shift.length}`);
    const initial = options.shift === undefined ? new Array<number>(size).fill(0) : Array.from(options.shift);
    initial.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`CircularShift: shift[${i}] must be a finite number, got ${v}`);
    });
    this.eventShape = [size];
    this.trainable = options.trainable ?? true;
    this.shift = newVariable(() => tf.tensor1d(initial), this.trainable);
  }

  override get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.shift] : [];
  }

  override get variables(): tf.Variable[] {
    return [this.shift];
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [wrapAngles(tf.add(x, this.shift)), tf.zeros([x.shape[0]])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [wrapAngles(tf.sub(y, this.shift)), tf.zeros([y.shape[0]])];
  }

  getConfig(): CircularShiftConfig {
    return { size: this.eventShape[0], trainable: this.trainable };
  }

  static fromConfig(config: CircularShiftConfig): CircularShift {
    return new CircularShift({ size: config.size, trainable: config.trainable });
  }
}
