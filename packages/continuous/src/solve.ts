import type * as tf from '@tensorflow/tfjs-core';
import { dormandPrince } from './dormand-prince.js';
import { type OdeFunction, resolveSolverOptions, type SolveResult, type SolverOptions } from './ode-solver.js';
import { rungeKutta4 } from './runge-kutta-4.js';

/**
 * Integrates `dy/dt = f(t, y)` from `t0` to `t1` (`t1 < t0` integrates backwards) with the solver
 * that `options` names: `{ method: 'rk4', steps }` or `{ method: 'dopri5', rtol, atol, maxSteps }`.
 * Returns the end state (new tensors; `y0` is left alone) and the function evaluations it took.
 */
export function solveOde(f: OdeFunction, y0: readonly tf.Tensor[], t0: number, t1: number, options: SolverOptions): SolveResult {
  const resolved = resolveSolverOptions(options);
  if (resolved.method === 'rk4') return rungeKutta4(f, y0, t0, t1, resolved.steps);
  return dormandPrince(f, y0, t0, t1, resolved);
}
