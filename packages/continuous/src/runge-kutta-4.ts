import * as tf from '@tensorflow/tfjs-core';
import { checkInterval, combine, disposeExcept, evaluate, type OdeFunction, type SolveResult } from './ode-solver.js';

/**
 * Integrates `dy/dt = f(t, y)` from `t0` to `t1` (either way: `t1 < t0` integrates backwards) by the
 * classical Runge-Kutta method with `steps` equal steps of `h = (t1 − t0)/steps`:
 *
 * `k₁ = f(t, y)`, `k₂ = f(t + h/2, y + h k₁/2)`, `k₃ = f(t + h/2, y + h k₂/2)`, `k₄ = f(t + h, y + h k₃)`,
 * `y ← y + h (k₁ + 2k₂ + 2k₃ + k₄)/6`: global error O(h⁴), `4 · steps` function evaluations.
 *
 * The caller's `y0` is neither kept nor disposed; the returned state is new. Each step runs under
 * `tf.tidy`, and the intermediate states are freed as the solve goes; under a gradient tape the
 * engine keeps what backpropagation needs, so gradients flow through every step (as maximum
 * likelihood training does).
 */
export function rungeKutta4(f: OdeFunction, y0: readonly tf.Tensor[], t0: number, t1: number, steps = 32): SolveResult {
  checkInterval(t0, t1, 'rk4');
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`rk4: steps must be a positive integer, got ${steps}`);
  if (t0 === t1) return { state: y0.map((y) => tf.clone(y)), stats: { nfe: 0, steps: 0, rejected: 0 } };
  const h = (t1 - t0) / steps;
  let y: readonly tf.Tensor[] = y0;
  for (let i = 0; i < steps; i++) {
    // From the start and the index, not by accumulating h: the last step ends exactly at t1.
    const t = i === steps - 1 ? t1 - h : t0 + i * h;
    const current = y;
    const next = tf.tidy(() => {
      const k1 = evaluate(f, t, current);
      const k2 = evaluate(f, t + h / 2, combine(current, h, [0.5], [k1]));
      const k3 = evaluate(f, t + h / 2, combine(current, h, [0, 0.5], [k1, k2]));
      const k4 = evaluate(f, t + h, combine(current, h, [0, 0, 1], [k1, k2, k3]));
      return combine(current, h, [1 / 6, 1 / 3, 1 / 3, 1 / 6], [k1, k2, k3, k4]);
    });
    if (current !== y0) disposeExcept(current, y0);
    y = next;
  }
  return { state: [...y], stats: { nfe: 4 * steps, steps, rejected: 0 } };
}
