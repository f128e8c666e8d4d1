import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import {
  ContinuousFlow,
  flowMatchingLoss,
  LIKELIHOOD_SOLVER,
  MLPVectorField,
  maximumLikelihoodLoss,
  type SolverOptions,
  type TimeSampling,
  type WeightAverage,
} from '@flows/continuous';
import { DiagonalNormal, type Distribution } from '@flows/distributions';
import type { Adam, Batch } from '@flows/flows';

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

/**
 * Octaves of Fourier features of the position in the vector field (`positionFeatures` of
 * `MLPVectorField`), `--position-features` unless given: the recipe of `@flows/continuous`'s
 * `scripts/toy-kl.mjs` that reaches a KL of 0.018 on the Chequerboard, whose sharp square edges a
 * plain MLP of the position smooths over. A checkpoint from before the option had none.
 */
export const CNF_POSITION_FEATURES = 6;

/** How `--time-sampling` draws flow matching's times (`timeSampling` of `flowMatchingLoss`). */
export const CNF_TIME_SAMPLINGS = ['uniform', 'logit-normal', 'power'] as const;

/** One of {@link CNF_TIME_SAMPLINGS}. */
export type CnfTimeSampling = (typeof CNF_TIME_SAMPLINGS)[number];

/**
 * The recipe's time sampling: `power` with exponent 2 (more times near t = 1, the data end, where
 * the Chequerboard's field is sharpest). A checkpoint from before the option drew them uniformly.
 */
export const DEFAULT_CNF_TIME_SAMPLING: CnfTimeSampling = 'power';

/** `--time-scale` unless given: the power's exponent, or the logit-normal's scale. */
export const DEFAULT_CNF_TIME_SCALE = 2;

/**
 * The decay of the average of the weights that a run evaluates and saves (`--ema`; 0: none, the last
 * iterate, as before the option): flow matching's target is noisy, and the recipe's average of
 * 0.999 removes the jitter of the last iterate (`WeightAverage` of `@flows/continuous`).
 */
export const DEFAULT_CNF_EMA = 0.999;

/** The `timeSampling` of `flowMatchingLoss` that `--time-sampling` and `--time-scale` name (the logit-normal centred at 0). */
export function cnfTimeSampling(kind: CnfTimeSampling, scale: number): TimeSampling {
  if (kind === 'power') return { distribution: 'power', exponent: scale };
  if (kind === 'logit-normal') return { distribution: 'logit-normal', location: 0, scale };
  return 'uniform';
}

/** The mean and standard deviation of each coordinate of a standardised base. */
export interface BaseStandardization {
  mean: number[];
  scale: number[];
}

/**
 * The standardised base of a toy (the recipe's `--standardize`): the moments of 100 000 of its samples
 * drawn with `seed + 6`, as `toy-kl.mjs` draws them. A base of the data's mean and scale per
 * coordinate is an affine change of the data, so the field works at the data's scale instead of
 * carrying N(0, I) to it.
 */
export function baseStandardization(toy: { sample(n: number, options: { random: number }): tf.Tensor }, seed: number): BaseStandardization {
  return tf.tidy(() => {
    const moments = tf.moments(toy.sample(100_000, { random: seed + 6 }), 0);
    return { mean: Array.from(moments.mean.dataSync()), scale: Array.from(moments.variance.dataSync(), (v) => Math.sqrt(v)) };
  });
}

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
  /** Octaves of Fourier features of the position (default 0: none, a run from before `--position-features`). */
  positionFeatures?: number;
  /** A fixed normal base of these moments (the recipe's), instead of the standard normal (null or left out). */
  base?: BaseStandardization | null;
}

/**
 * `--flow cnf`: a continuous normalizing flow (`ContinuousFlow` of `@flows/continuous`) whose vector
 * field is an MLP of the `--hidden` widths on `[x, Fourier features of x, t, sin/cos of t]`, from a
 * fixed normal (standard, or of the data's moments), with the package's default solver
 * (Dormand-Prince, rtol = atol = 1e-6) for `logprob` and `sample`.
 */
export function continuousToyFlow(options: ContinuousToyFlowOptions): ContinuousFlow {
  const field = new MLPVectorField({
    size: options.size,
    hidden: options.hidden,
    timeFeatures: CNF_TIME_FEATURES,
    positionFeatures: options.positionFeatures ?? 0,
    seed: options.seed,
  });
  const moments = options.base;
  const base = moments
    ? new DiagonalNormal({ size: options.size, mean: moments.mean, logScale: moments.scale.map((s) => Math.log(s)), trainable: false })
    : undefined;
  return new ContinuousFlow({ field, base });
}

/**
 * Folds the weights into `average` after each of the optimizer's steps (`fit` steps the optimizer
 * itself and has no hook between steps): the optimizer's `applyGradients` is wrapped.
 */
export function averageAfterEachStep(optimizer: Adam, average: WeightAverage): void {
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (gradients) => {
    apply(gradients);
    average.update();
  };
}

/**
 * The conditional flow-matching loss of a batch (the OT path, independent pairs), its noise and
 * times drawn from `random`: the run's own generator, which the checkpoints save, so that a
 * resumed run draws what the uninterrupted one would.
 */
export function flowMatchingLossWith(random: Random, timeSampling: TimeSampling = 'uniform'): (model: Distribution, batch: Batch) => tf.Scalar {
  return (model, batch) => flowMatchingLoss(model as ContinuousFlow, batch.x, { random, timeSampling });
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
export function continuousLoss(
  objective: ContinuousObjective,
  random: Random,
  timeSampling: TimeSampling = 'uniform',
): (model: Distribution, batch: Batch) => tf.Scalar {
  return objective === 'likelihood' ? likelihoodLoss : flowMatchingLossWith(random, timeSampling);
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
