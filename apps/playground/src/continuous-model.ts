import type * as tf from '@tensorflow/tfjs-core';
import { ContinuousFlow, MLPVectorField, type SolverOptions } from '@flows/continuous';

/**
 * Fourier pairs of the time input of the vector field: toy-flow's `CNF_TIME_FEATURES` (sin and cos
 * of πt and 2πt), so that `?flow=cnf` builds what `toy-flow train --flow cnf` builds.
 */
export const CNF_TIME_FEATURES = 2;

/** Options of {@link playgroundContinuousFlow}. */
export interface PlaygroundContinuousFlowOptions {
  hidden: number[];
  seed: number;
}

/**
 * `?flow=cnf`: toy-flow's continuous flow (its `continuousToyFlow`), spelled here because it lives in
 * an app, not a library: an `MLPVectorField` of the hidden widths (swish) on `[x, t, sin/cos of πt
 * and 2πt]` from a standard normal, with the package's default solver (Dormand-Prince at
 * rtol = atol = 1e-6, exact trace) saved in the model, which `toy-flow logprob` and the page's
 * `logProb` use. `same-model-as-toy-flow.test.ts` trains both and compares the files, so the two
 * spellings cannot drift apart unseen.
 */
export function playgroundContinuousFlow(options: PlaygroundContinuousFlowOptions): ContinuousFlow {
  const field = new MLPVectorField({ size: 2, hidden: options.hidden, timeFeatures: CNF_TIME_FEATURES, seed: options.seed });
  return new ContinuousFlow({ field });
}

/**
 * The solver of the KL the page shows while a continuous flow trains: Dormand-Prince at 1e-5,
 * converged for the KL (within 1e-4 nats of 1e-6 on the Chequerboard, `@flows/continuous`'s README)
 * at about two thirds of the saved default's evaluations.
 */
export const KL_SOLVER: SolverOptions = { method: 'dopri5', rtol: 1e-5, atol: 1e-5 };

/** Fixed RK4 steps for the pictures: every grid point and sample costs the same, and no step reads back to choose the next. */
export function pictureSolver(steps: number): SolverOptions {
  return { method: 'rk4', steps };
}

/**
 * The same flow (its field and base, the same variables) with another solver for `logProb` and
 * `sample`: for metrics that call a distribution's own `uncheckedLogProb`. Not to be disposed (it
 * owns nothing of its own), nor saved (the saved model keeps the default solver).
 */
export function withSolver(flow: ContinuousFlow, solver: SolverOptions): ContinuousFlow {
  return new ContinuousFlow({ field: flow.field, base: flow.base, solver, trace: flow.trace });
}

/** Log-densities on points by the picture solver with the exact trace (2-D: two products per evaluation). No tidy (the caller's). */
export function pictureLogProb(flow: ContinuousFlow, points: tf.Tensor2D, steps: number): tf.Tensor1D {
  return flow.uncheckedLogProbWith(points, { solver: pictureSolver(steps), trace: { estimator: 'exact' } });
}
