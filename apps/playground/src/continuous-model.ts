import * as tf from '@tensorflow/tfjs-core';
import { ContinuousFlow, MLPVectorField, type SolverOptions, type TimeSampling, type WeightAverage } from '@flows/continuous';
import type { ToyDistribution } from '@flows/datasets';
import { DiagonalNormal } from '@flows/distributions';
import type { Adam } from '@flows/flows';

/**
 * Fourier pairs of the time input of the vector field: toy-flow's `CNF_TIME_FEATURES` (sin and cos
 * of πt and 2πt), so that `?flow=cnf` builds what `toy-flow train --flow cnf` builds.
 */
export const CNF_TIME_FEATURES = 2;

/**
 * toy-flow's defaults of `--flow cnf`, the recipe of `@flows/continuous`'s `scripts/toy-kl.mjs`
 * (KL 0.018 on the Chequerboard): octaves of Fourier features of the position (`CNF_POSITION_FEATURES`).
 */
export const CNF_POSITION_FEATURES = 6;

/** Flow matching's times: toy-flow's `--time-sampling power --time-scale 2` (more times near the data). */
export const CNF_TIME_SAMPLING: TimeSampling = { distribution: 'power', exponent: 2 };

/** The decay of the average of the weights that the page evaluates, shows and exports: toy-flow's `--ema` default. */
export const CNF_EMA = 0.999;

/** Options of {@link playgroundContinuousFlow}. */
export interface PlaygroundContinuousFlowOptions {
  hidden: number[];
  seed: number;
  /** The toy whose moments make the base (toy-flow's default standardised base). */
  toy: Pick<ToyDistribution, 'sample'>;
}

/**
 * The base of toy-flow's `--flow cnf` (its `baseStandardization`): a fixed normal of the moments of
 * 100 000 samples of the toy drawn with `seed + 6`, so that the field works at the data's scale.
 */
export function standardizedBase(toy: Pick<ToyDistribution, 'sample'>, seed: number): DiagonalNormal {
  const { mean, scale } = tf.tidy(() => {
    const moments = tf.moments(toy.sample(100_000, { random: seed + 6 }), 0);
    return { mean: Array.from(moments.mean.dataSync()), scale: Array.from(moments.variance.dataSync(), (v) => Math.sqrt(v)) };
  });
  return new DiagonalNormal({ size: 2, mean, logScale: scale.map((s) => Math.log(s)), trainable: false });
}

/** Folds the weights into `average` after each optimizer step (toy-flow's `averageAfterEachStep`: `fit` has no hook between steps). */
export function averageAfterEachStep(optimizer: Adam, average: WeightAverage): void {
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (gradients) => {
    apply(gradients);
    average.update();
  };
}

/**
 * `?flow=cnf`: toy-flow's continuous flow (its `continuousToyFlow`), spelled here because it lives in
 * an app, not a library: an `MLPVectorField` of the hidden widths (swish) on `[x, Fourier features
 * of x, t, sin/cos of πt and 2πt]` from {@link standardizedBase}, with the package's default solver (Dormand-Prince at
 * rtol = atol = 1e-6, exact trace) saved in the model, which `toy-flow logprob` and the page's
 * `logProb` use. `same-model-as-toy-flow.test.ts` trains both and compares the files, so the two
 * spellings cannot drift apart unseen.
 */
export function playgroundContinuousFlow(options: PlaygroundContinuousFlowOptions): ContinuousFlow {
  const field = new MLPVectorField({
    size: 2,
    hidden: options.hidden,
    timeFeatures: CNF_TIME_FEATURES,
    positionFeatures: CNF_POSITION_FEATURES,
    seed: options.seed,
  });
  return new ContinuousFlow({ field, base: standardizedBase(options.toy, options.seed) });
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
