import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@flows/core';

/**
 * A time-dependent vector field `v(x, t[, c])` over events of `eventShape`: the right-hand side of a
 * continuous normalizing flow's ODE `dx/dt = v(x, t)` (Chen, Rubanova, Bettencourt and Duvenaud,
 * "Neural Ordinary Differential Equations", NeurIPS 2018). Time runs from 0 (the base) to 1 (the data).
 *
 * A field is a {@link Module}: its variables are saved with the model and `getConfig`/`fromConfig`
 * rebuild it, once its class is registered with {@link registerVectorField}. The log-density needs
 * the divergence `tr(∂v/∂x)`: by default it is computed by reverse-mode autodiff through
 * {@link VectorField.apply} (one vector-Jacobian product per probe), so `apply` must be
 * differentiable in `x` by TensorFlow.js, twice where the field is trained by maximum likelihood. A
 * field that can do better overrides {@link VectorField.jvp} with a forward-mode product (the
 * built-in {@link MLPVectorField} does: one pass of its own dense layers per probe).
 */
export abstract class VectorField<Config extends object = Record<string, unknown>> extends Module<Config> {
  /** The shape of one point (for vectors, `[D]`). */
  abstract readonly eventShape: readonly number[];

  /** Width of the context rows the field takes (0: unconditional). */
  get contextSize(): number {
    return 0;
  }

  /** Size of one point (the product of {@link VectorField.eventShape}). */
  get eventSize(): number {
    return this.eventShape.reduce((a, b) => a * b, 1);
  }

  /**
   * `v(x, t[, c])` for a batch `x` of shape `[N, ...eventShape]`; `t` is one time for the whole batch
   * (a number) or one per row (a tensor of shape `[N]`). Returns the velocities, shaped like `x`.
   * Runs without `tf.tidy` (the caller tidies), so that gradients can flow through it.
   */
  abstract apply(x: tf.Tensor, t: number | tf.Tensor1D, context?: tf.Tensor): tf.Tensor;

  /**
   * Optional forward-mode products: the field's value and `J·u` for `K` tangent batches `u` of shape
   * `[K, N, ...eventShape]` (`J = ∂v/∂x` at each row), returned as `products` of the same shape.
   * Fields without it get the divergence from reverse-mode vector-Jacobian products instead.
   */
  jvp?(x: tf.Tensor, t: number | tf.Tensor1D, tangents: tf.Tensor, context?: tf.Tensor): { value: tf.Tensor; products: tf.Tensor };
}

/** A column `[N, 1]` of times from one time or one per row. */
export function timeColumn(t: number | tf.Tensor1D, rows: number): tf.Tensor2D {
  if (typeof t === 'number') return tf.fill([rows, 1], t) as tf.Tensor2D;
  if (t.rank !== 1 || t.shape[0] !== rows) throw new RangeError(`vector field: t must be a number or a tensor of shape [${rows}], got shape [${t.shape}]`);
  return tf.reshape(t, [rows, 1]);
}
