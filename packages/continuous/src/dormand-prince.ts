import * as tf from '@tensorflow/tfjs-core';
import {
  checkInterval,
  combine,
  increment,
  type DormandPrinceOptions,
  disposeExcept,
  evaluate,
  type OdeFunction,
  OdeMaxStepsError,
  resolveSolverOptions,
  type SolveResult,
  type SolveStats,
} from './ode-solver.js';

// The Dormand-Prince 5(4) tableau (Dormand and Prince 1980; Hairer, Nørsett and Wanner, table II.5.2).
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A: readonly (readonly number[])[] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  // The fifth-order weights: the seventh stage is evaluated at the new solution (FSAL).
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
/** Fifth-order weights minus the embedded fourth-order ones: the local error estimate's weights. */
const ERROR_WEIGHTS = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

const SAFETY = 0.9;
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;
/** Gustafsson's PI controller as dopri5 sets it: β = 0.04, α = 1/5 − 0.75 β. */
const PI_BETA = 0.04;
const PI_ALPHA = 1 / 5 - 0.75 * PI_BETA;

/**
 * The weighted RMS norm that the step control reads: per batch row, the root mean square of
 * `value / (atol + rtol · scale)` over that row's elements in every state tensor; the largest row's
 * decides, so that every point of a batch is integrated to the tolerance (a plain RMS over the whole
 * batch would let a few points in a fast-changing region through with errors far above it).
 * Tensors that do not share a first (batch) dimension are measured by one RMS over everything.
 */
function errorNorm(values: readonly tf.Tensor[], scales: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const weighted = values.map((value, i) => tf.div(value, scales[i]));
    const rows = weighted[0].rank > 0 ? weighted[0].shape[0] : -1;
    const byRow = rows > 0 && weighted.every((w) => w.rank > 0 && w.shape[0] === rows);
    if (!byRow) {
      const count = weighted.reduce((n, w) => n + w.size, 0);
      return tf.sqrt(tf.div(tf.addN(weighted.map((w) => tf.sum(tf.square(w)))), count)) as tf.Scalar;
    }
    const perRow = weighted.reduce((n, w) => n + w.size / rows, 0);
    const sums = weighted.map((w) => tf.sum(tf.square(tf.reshape(w, [rows, -1])), 1));
    return tf.max(tf.sqrt(tf.div(sums.length === 1 ? sums[0] : tf.addN(sums), perRow))) as tf.Scalar;
  });
}

function tolerances(y: readonly tf.Tensor[], yNew: readonly tf.Tensor[] | null, rtol: number, atol: number): tf.Tensor[] {
  return y.map((value, i) => tf.add(atol, tf.mul(rtol, yNew ? tf.maximum(tf.abs(value), tf.abs(yNew[i])) : tf.abs(value))));
}

function readScalar(t: tf.Tensor): number {
  const value = t.dataSync()[0];
  t.dispose();
  return value;
}

/**
 * Hairer's starting step (Hairer, Nørsett and Wanner, II.4): `h₀ = 0.01 ‖y₀‖/‖f₀‖`, one explicit Euler
 * step to estimate the second derivative, then `h₁ = (0.01 / max(‖f₀‖, ‖f'‖))^(1/5)`; the smaller of
 * `100 h₀` and `h₁`. One function evaluation.
 */
function initialStep(f: OdeFunction, t0: number, y0: readonly tf.Tensor[], f0: readonly tf.Tensor[], direction: number, rtol: number, atol: number): number {
  const scale = tf.tidy(() => tolerances(y0, null, rtol, atol));
  try {
    const d0 = readScalar(errorNorm(y0, scale));
    const d1 = readScalar(errorNorm(f0, scale));
    const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    const d2 =
      readScalar(
        tf.tidy(() => {
          const y1 = combine(y0, direction * h0, [1], [f0]);
          const f1 = evaluate(f, t0 + direction * h0, y1);
          return errorNorm(
            f1.map((g, i) => tf.sub(g, f0[i])),
            scale,
          );
        }),
      ) / h0;
    const largest = Math.max(d1, d2);
    const h1 = largest <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / largest) ** (1 / 5);
    return Math.min(100 * h0, h1);
  } finally {
    tf.dispose(scale);
  }
}

/**
 * Integrates `dy/dt = f(t, y)` from `t0` to `t1` (either way) by the adaptive Dormand-Prince 5(4)
 * method (see {@link DormandPrinceOptions}): the error of each step is measured against
 * `atol + rtol · |y|` and the step size adapts, so the work follows the field's difficulty. Reads one
 * number back from the backend per step (the error norm) to decide. Throws {@link OdeMaxStepsError}
 * after `maxSteps` steps, accepted or rejected, or when the step size underflows.
 *
 * The caller's `y0` is neither kept nor disposed; the returned state is new, intermediate states are
 * freed as the solve goes. Step sizes are plain numbers, so under a gradient tape the gradient flows
 * through the accepted steps' arithmetic with the step sizes held fixed.
 */
export function dormandPrince(f: OdeFunction, y0: readonly tf.Tensor[], t0: number, t1: number, options: Partial<DormandPrinceOptions> = {}): SolveResult {
  checkInterval(t0, t1, 'dopri5');
  const {
    rtol,
    atol,
    maxSteps,
    controller,
    initialStep: firstStep,
  } = resolveSolverOptions({ ...options, method: 'dopri5' }, 'dopri5') as Required<Omit<DormandPrinceOptions, 'initialStep'>> & { initialStep?: number };
  const stats: SolveStats = { nfe: 0, steps: 0, rejected: 0 };
  if (t0 === t1) return { state: y0.map((y) => tf.clone(y)), stats };
  const direction = Math.sign(t1 - t0);
  const span = Math.abs(t1 - t0);

  let y: readonly tf.Tensor[] = y0;
  let k1 = tf.tidy(() => evaluate(f, t0, y0));
  stats.nfe += 1;
  let t = t0;
  let previousError = 1e-4;
  try {
    let h = firstStep ?? initialStep(f, t0, y0, k1, direction, rtol, atol);
    if (firstStep === undefined) stats.nfe += 1;
    h = Math.min(h, span);
    let justRejected = false;
    while (direction * (t1 - t) > 0) {
      if (stats.steps + stats.rejected >= maxSteps) throw new OdeMaxStepsError(maxSteps, t, h, { ...stats });
      const remaining = Math.abs(t1 - t);
      // Within a hair of the end, the last step goes exactly there instead of leaving a sliver.
      const last = h >= remaining * (1 - 1e-12);
      const hAbs = last ? remaining : h;
      const hs = direction * hAbs;
      const current = y;
      const first = k1;
      const [yNew, kLast, errorTensor] = tf.tidy(() => {
        const k: tf.Tensor[][] = [first];
        let input: tf.Tensor[] = [];
        for (let stage = 1; stage < 7; stage++) {
          input = combine(current, hs, A[stage], k);
          k.push(evaluate(f, stage === 6 && last ? t1 : t + C[stage] * hs, input));
        }
        // The fifth-order solution is the seventh stage's input; its derivative is the next step's first stage (FSAL).
        const norm = errorNorm(increment(hs, ERROR_WEIGHTS, k), tolerances(current, input, rtol, atol));
        return [input, k[6], [norm]] as [tf.Tensor[], tf.Tensor[], tf.Tensor[]];
      });
      stats.nfe += 6;
      const error = readScalar(errorTensor[0]);
      if (error <= 1) {
        if (current !== y0) disposeExcept(current, y0);
        tf.dispose(first);
        y = yNew;
        k1 = kLast;
        t = last ? t1 : t + hs;
        stats.steps += 1;
      } else {
        tf.dispose([...yNew, ...kLast]);
        stats.rejected += 1;
      }
      const accepted = error <= 1;
      let factor: number;
      if (!Number.isFinite(error)) factor = MIN_FACTOR;
      else if (error === 0) factor = MAX_FACTOR;
      else if (controller === 'pi' && accepted) factor = SAFETY * error ** -PI_ALPHA * previousError ** PI_BETA;
      else factor = SAFETY * error ** (-1 / 5);
      // After a rejection the step may not grow (Hairer's dopri5 does the same).
      factor = Math.min(accepted && !justRejected ? MAX_FACTOR : 1, Math.max(MIN_FACTOR, factor));
      if (accepted) previousError = Math.max(error, 1e-4);
      justRejected = !accepted;
      h = hAbs * factor;
      if (direction * (t1 - t) > 0 && h <= 1e-12 * span) {
        throw new Error(
          `dopri5: the step size underflowed (${h.toExponential(2)}) at t = ${t}: the vector field is not finite or not smooth there. Loosen rtol/atol or check the field`,
        );
      }
    }
  } catch (error) {
    if (y !== y0) disposeExcept(y, y0);
    tf.dispose(k1);
    throw error;
  }
  tf.dispose(k1);
  return { state: [...y], stats };
}
