import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import type { VectorField } from './vector-field.js';

/** How the log-density's trace `tr(∂v/∂x)` is computed. */
export type TraceEstimator = 'exact' | 'hutchinson';

/** Hutchinson's probe distribution: both have `E[ε εᵀ] = I`; Rademacher's has the lower variance. */
export type ProbeDistribution = 'gaussian' | 'rademacher';

/** `K` probe batches `ε` of shape `[K, N, ...eventShape]`: standard normal or random signs (±1), from the project's generator. */
export function drawProbes(distribution: ProbeDistribution, count: number, shape: readonly number[], random: Random): tf.Tensor {
  const full = [count, ...shape];
  const size = full.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (distribution === 'gaussian') random.fillNormal(values);
  else for (let i = 0; i < size; i++) values[i] = random.uniform() < 0.5 ? -1 : 1;
  return tf.tensor(values, full, 'float32');
}

/** Each probe's unit basis vectors e₁…e_D, one batch per coordinate: `[D, N, ...eventShape]`. */
export function basisProbes(rows: number, eventShape: readonly number[]): tf.Tensor {
  const size = eventShape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.reshape(tf.tile(tf.reshape(tf.eye(size), [size, 1, size]), [1, rows, 1]), [size, rows, ...eventShape]));
}

function tileRows(tensor: tf.Tensor, count: number): tf.Tensor {
  return tf.tile(tensor, [count, ...tensor.shape.slice(1).map(() => 1)]);
}

/**
 * The field's value and the quadratic forms `uᵀ J u` (`J = ∂v/∂x` at each row) for `K` probe
 * batches `u` of shape `[K, N, ...eventShape]`, returned as `forms` of shape `[K, N]`.
 *
 * With a field's forward-mode {@link VectorField.jvp}: `uᵀ (J u)`. Without it, by reverse mode: the
 * batch is repeated `K` times and one vector-Jacobian product `uᵀ J` is taken with the probes as
 * the output's cotangent (rows are independent, so each copy's gradient is its own row's `uᵀ J`),
 * then `(uᵀ J) u`. No tidy: this runs inside the ODE solver's and the training loss's scopes.
 */
export function probeQuadraticForms(
  field: VectorField,
  x: tf.Tensor,
  t: number | tf.Tensor1D,
  probes: tf.Tensor,
  context?: tf.Tensor,
): { value: tf.Tensor; forms: tf.Tensor2D } {
  const rows = x.shape[0];
  const count = probes.shape[0];
  const eventAxes = probes.shape.slice(2).map((_, i) => i + 2);
  if (field.jvp) {
    const { value, products } = field.jvp(x, t, probes, context);
    return { value, forms: tf.sum(tf.mul(probes, products), eventAxes) as tf.Tensor2D };
  }
  const times = typeof t === 'number' ? t : (tileRows(t, count) as tf.Tensor1D);
  const contexts = context ? tileRows(context, count) : undefined;
  const cotangent = tf.reshape(probes, [count * rows, ...x.shape.slice(1)]);
  // `+ 0·x` keeps x connected to the output for a field that ignores it (its divergence is then 0, not an error).
  const { value, grad } = tf.valueAndGrad((repeated: tf.Tensor) => tf.add(field.apply(repeated, times, contexts), tf.mul(repeated, 0)))(
    tileRows(x, count),
    cotangent,
  );
  const products = tf.reshape(grad, probes.shape);
  return {
    value: tf.slice(value, 0, rows),
    forms: tf.sum(tf.mul(probes, products), eventAxes) as tf.Tensor2D,
  };
}

/**
 * The exact divergence `tr(∂v/∂x) = Σ_i ∂v_i/∂x_i` of each row, with the field's value: D probe
 * batches, the unit vectors (D forward-mode products, or D vector-Jacobian products). For small D.
 */
export function exactDivergence(field: VectorField, x: tf.Tensor, t: number | tf.Tensor1D, context?: tf.Tensor): { value: tf.Tensor; divergence: tf.Tensor1D } {
  const { value, forms } = probeQuadraticForms(field, x, t, basisProbes(x.shape[0], x.shape.slice(1)), context);
  return { value, divergence: tf.sum(forms, 0) as tf.Tensor1D };
}

/**
 * Hutchinson's estimate of the divergence (Hutchinson 1990; as FFJORD uses it, Grathwohl et al.,
 * "FFJORD: Free-form Continuous Dynamics for Scalable Reversible Generative Models", ICLR 2019):
 * `tr(J) = E_ε[εᵀ J ε]` for any probe with `E[ε εᵀ] = I`, averaged over the `K` given probe batches.
 * Unbiased; one forward-mode (or vector-Jacobian) product per probe instead of D.
 */
export function hutchinsonDivergence(
  field: VectorField,
  x: tf.Tensor,
  t: number | tf.Tensor1D,
  probes: tf.Tensor,
  context?: tf.Tensor,
): { value: tf.Tensor; divergence: tf.Tensor1D } {
  const { value, forms } = probeQuadraticForms(field, x, t, probes, context);
  return { value, divergence: tf.mean(forms, 0) as tf.Tensor1D };
}
