import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { ContinuousFlow, flowMatchingLoss, MLPVectorField, type SolverOptions } from '@flows/continuous';
import type { Distribution } from '@flows/distributions';
import type { Batch } from '@flows/flows';

/** The `--flow` of a continuous flow trained by flow matching (not one of `toyFlow`'s: it has no layers). */
export const CNF_FLOW = 'cnf';

/** Fourier pairs of the time input of the vector field (sin and cos of πt and 2πt, as in the runs of `@flows/continuous`'s toy script). */
export const CNF_TIME_FEATURES = 2;

/** Held-out samples of a continuous flow's test NLL unless `--test-size` says otherwise: each is an ODE solve. */
export const CNF_TEST_SIZE = 20_000;

/**
 * The solver of a continuous flow's density picture: fixed steps of Runge-Kutta 4 (32 evaluations
 * of the field), not the flow's adaptive solver at 1e-6, whose worst grid point sets the steps of
 * all 102 400 (the picture's resolution does not show the difference).
 */
export const PICTURE_SOLVER: SolverOptions = { method: 'rk4', steps: 8 };

/** Options of {@link continuousToyFlow}. */
export interface ContinuousToyFlowOptions {
  size: number;
  hidden: number[];
  seed: number;
}

/**
 * `--flow cnf`: a continuous normalizing flow (`ContinuousFlow` of `@flows/continuous`) whose vector
 * field is an MLP of the `--hidden` widths on `[x, t, sin/cos of t]`, from a standard normal, with
 * the package's default solver (Dormand-Prince, rtol = atol = 1e-6) for `logprob` and `sample`.
 */
export function continuousToyFlow(options: ContinuousToyFlowOptions): ContinuousFlow {
  const field = new MLPVectorField({ size: options.size, hidden: options.hidden, timeFeatures: CNF_TIME_FEATURES, seed: options.seed });
  return new ContinuousFlow({ field });
}

/**
 * The conditional flow-matching loss of a batch (the OT path, independent pairs), its noise and
 * times drawn from `random`: the run's own generator, which the checkpoints save, so that a
 * resumed run draws what the uninterrupted one would.
 */
export function flowMatchingLossWith(random: Random): (model: Distribution, batch: Batch) => tf.Scalar {
  return (model, batch) => flowMatchingLoss(model as ContinuousFlow, batch.x, { random });
}

/**
 * The log-density a picture shows: a continuous flow's with {@link PICTURE_SOLVER}, any other
 * model's own. No tidy (the caller's).
 */
export function pictureLogProb(model: Distribution, x: tf.Tensor): tf.Tensor1D {
  return model instanceof ContinuousFlow ? model.uncheckedLogProbWith(x, { solver: PICTURE_SOLVER }) : model.uncheckedLogProb(x);
}
