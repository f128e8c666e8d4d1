import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { ContinuousFlow, flowMatchingLoss, LIKELIHOOD_SOLVER, MLPVectorField, maximumLikelihoodLoss, type SolverOptions } from '@flows/continuous';
import type { Distribution } from '@flows/distributions';
import type { Batch } from '@flows/flows';

/** The `--flow` of a continuous flow, trained by flow matching or maximum likelihood (`--objective`; not one of `toyFlow`'s: it has no layers). */
export const CNF_FLOW = 'cnf';

/**
 * How `--flow cnf` trains (`--objective`): by conditional flow matching (simulation-free, the
 * default), or by maximum likelihood through the solver (FFJORD: each step solves the log-density
 * ODE and backpropagates through the solver's steps).
 */
export const CNF_OBJECTIVES = ['flow-matching', 'likelihood'] as const;

/** One of {@link CNF_OBJECTIVES}. */
export type ContinuousObjective = (typeof CNF_OBJECTIVES)[number];

/** The objective of a `--flow cnf` run without `--objective`, and of a checkpoint written before the option existed. */
export const DEFAULT_CNF_OBJECTIVE: ContinuousObjective = 'flow-matching';

/**
 * The solver that `--objective likelihood` backpropagates through: `@flows/continuous`'s default for
 * maximum likelihood, Runge-Kutta 4 with 8 fixed steps (32 evaluations of the field and its exact
 * trace per step of training). Fixed steps make a training step's cost known and its gradient the
 * exact gradient of the loss it computes; the adjoint method would cost a second solve for a
 * gradient only as exact as that solve.
 */
export const LIKELIHOOD_TRAINING_SOLVER: SolverOptions = LIKELIHOOD_SOLVER;

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
 * The negative log-likelihood of a batch by the instantaneous change of variables, solved with
 * {@link LIKELIHOOD_TRAINING_SOLVER} and the flow's trace (exact for the toys' two dimensions), and
 * differentiated through the solver's steps (`maximumLikelihoodLoss` of `@flows/continuous`). Draws
 * nothing at random, so a resumed run computes what the uninterrupted one would.
 */
export function likelihoodLoss(model: Distribution, batch: Batch): tf.Scalar {
  return maximumLikelihoodLoss(model as ContinuousFlow, batch.x, { solver: LIKELIHOOD_TRAINING_SOLVER });
}

/** The loss a `--flow cnf` run trains by, for its `--objective`. */
export function continuousLoss(objective: ContinuousObjective, random: Random): (model: Distribution, batch: Batch) => tf.Scalar {
  return objective === 'likelihood' ? likelihoodLoss : flowMatchingLossWith(random);
}

/** What the training curves call a `--flow cnf` run's loss. */
export function continuousLossName(objective: ContinuousObjective): string {
  return objective === 'likelihood' ? 'negative log-likelihood' : 'flow-matching loss';
}

/**
 * The log-density a picture shows: a continuous flow's with `solver` (default {@link PICTURE_SOLVER}), any other
 * model's own. No tidy (the caller's).
 */
export function pictureLogProb(model: Distribution, x: tf.Tensor, solver: SolverOptions = PICTURE_SOLVER): tf.Tensor1D {
  return model instanceof ContinuousFlow ? model.uncheckedLogProbWith(x, { solver }) : model.uncheckedLogProb(x);
}
