import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError, MissingInverseError } from './errors.js';
import { Module, type Serialized } from './module.js';
import { validateContext, validateEvents } from './validation.js';

/**
 * The bijector contract.
 *
 * **Direction.** `forward` maps base to data (it is used for sampling); `inverse` maps data to
 * base (it is used for density evaluation). Every bijector follows it.
 *
 * - `forwardAndLogDet(x)` returns `[y, logDet]` with `logDet[n] = log|det ∂y_n/∂x_n|`, one value per batch row.
 * - `inverseAndLogDet(y)` returns `[x, logDet]` with `logDet[n] = log|det ∂x_n/∂y_n|`.
 * - `forward` and `inverse` derive from them. A bijector without a closed-form inverse throws
 *   {@link MissingInverseError}.
 *
 * Public methods validate their input (rank, event shape, NaN) and run under `tf.tidy`, so they
 * leak nothing but their results. The `unchecked*` methods skip the validation and the tidy and
 * exist for composition inside an outer `tf.tidy` or gradient tape (chains, distributions,
 * training loops).
 *
 * Conditioning is an optional `context` tensor of shape `[batch, contextSize]`.
 */
export abstract class Bijector<Config extends object = Record<string, unknown>> extends Module<Config> {
  /**
   * Shape of one event (without the batch dimension), or `null` when the bijector accepts any
   * event shape (elementwise maps, permutation-free wrappers).
   */
  abstract readonly eventShape: readonly number[] | null;

  /**
   * Shape of one event on the data side (the forward output, the inverse input). Equal to
   * {@link Bijector.eventShape} except for shape-changing bijectors such as `Squeeze`.
   */
  get outputEventShape(): readonly number[] | null {
    return this.eventShape;
  }

  /** Width of the context this bijector was built for; 0 when it takes none. */
  get contextSize(): number {
    return 0;
  }

  protected abstract forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D];

  protected inverseImpl(_y: tf.Tensor, _context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    throw new MissingInverseError(this.className);
  }

  /** Whether {@link Bijector.inverseAndLogDet} is available. */
  get hasInverse(): boolean {
    return true;
  }

  /** Forward map without validation or tidy; call inside an outer `tf.tidy`. */
  uncheckedForwardAndLogDet(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.forwardImpl(x, context);
  }

  /** Inverse map without validation or tidy; call inside an outer `tf.tidy`. */
  uncheckedInverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.inverseImpl(y, context);
  }

  /** `[y, log|det ∂y/∂x|]` for a batch `x` (base to data). */
  forwardAndLogDet(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    this.validate(x, context, 'forward');
    return tf.tidy(() => this.forwardImpl(x, context));
  }

  /** `[x, log|det ∂x/∂y|]` for a batch `y` (data to base). */
  inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    if (!this.hasInverse) throw new MissingInverseError(this.className);
    this.validate(y, context, 'inverse', this.outputEventShape);
    return tf.tidy(() => this.inverseImpl(y, context));
  }

  forward(x: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    const [y, logDet] = this.forwardAndLogDet(x, context);
    logDet.dispose();
    return y;
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    const [x, logDet] = this.inverseAndLogDet(y, context);
    logDet.dispose();
    return x;
  }

  protected validate(x: tf.Tensor, context: tf.Tensor | undefined, direction: string, eventShape = this.eventShape): void {
    const who = `${this.className}.${direction}`;
    if (this.isDisposed) throw new BijectorInputError(`${who}: this ${this.className} has been disposed (its variables are freed); build or load it again`);
    validateEvents(x, eventShape, who);
    validateContext(context, x.shape[0], this.contextSize, who);
  }
}

/** A bijector as stored in a saved model. */
export type SerializedBijector = Serialized;

/** Sums every axis except the batch axis, giving one value per batch row. */
export function sumEventAxes(t: tf.Tensor): tf.Tensor1D {
  if (t.rank === 1) return t as tf.Tensor1D;
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
  return tf.sum(t, axes) as tf.Tensor1D;
}

/** A zero log-det for a batch, for volume-preserving maps. */
export function zeroLogDet(x: tf.Tensor): tf.Tensor1D {
  return tf.zeros([x.shape[0]]) as tf.Tensor1D;
}

/**
 * A log-det that is the same scalar for every row, broadcast to the batch (keeps its gradient).
 * A product with a row of ones, not `tf.broadcastTo`: that one runs the Tile kernel, whose gradient
 * in TensorFlow.js 4.22 adds one slice per repetition, 2 × 12 544 kernels for a 1 × 1 convolution's
 * per-pixel log-det at batch 64 on 14 × 14 images; a product's gradient is one sum.
 */
export function perRow(value: tf.Tensor, batchSize: number): tf.Tensor1D {
  return tf.mul(tf.ones([batchSize]), tf.reshape(value, [1])) as tf.Tensor1D;
}
