import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames, type Random } from '@flows/core';
import type { ContinuousFlow, TraceOptions } from './continuous-flow.js';
import type { SolverOptions } from './ode-solver.js';

/** Options of {@link maximumLikelihoodLoss}. */
export interface MaximumLikelihoodOptions {
  /** The solver whose steps are backpropagated through (default: RK4 with 8 steps). */
  solver?: SolverOptions;
  /** The trace estimator (default: the flow's). */
  trace?: TraceOptions;
  /** Hutchinson's probes' generator (default: the flow's own). */
  random?: Random | number;
  /** Context rows for a conditional flow. */
  context?: tf.Tensor;
}

const OPTION_NAMES = optionNames<MaximumLikelihoodOptions>()(['solver', 'trace', 'random', 'context']);

/** The default solver of maximum-likelihood training: fixed steps, so that the cost of a step is known and its gradient exact. */
export const LIKELIHOOD_SOLVER: SolverOptions = { method: 'rk4', steps: 8 };

/**
 * The mean negative log-likelihood `−(1/N) Σ log p(x_n)` of a batch under the flow, computed by
 * solving the log-density ODE (FFJORD: Grathwohl et al., ICLR 2019) and differentiated by
 * backpropagating through the solver's steps ("discretize then optimize"): the gradient is the exact
 * gradient of the computed loss, at the memory cost of every step's activations, which is small for
 * the fields this runs on. The adjoint method (Chen et al. 2018) would trade that memory for a
 * second, backward solve and gradients that are only as exact as that solve.
 *
 * With the built-in {@link MLPVectorField} the trace's products are forward mode, so this needs only
 * first-order gradients. A field without `jvp` gets its trace by reverse mode and its training
 * gradient by differentiating that twice, which TF.js 4.22 gets wrong for ops whose gradient reads
 * their own output (tanh, sigmoid, elu): give such a field a `jvp`, or use smooth activations whose
 * gradient reads their input (softplus); the continuous-flow kit's `likelihoodGradients` check tells.
 *
 * Returns a scalar loss tensor; no tidy (call it inside the optimizer's scope).
 */
export function maximumLikelihoodLoss(flow: ContinuousFlow, data: tf.Tensor, options: MaximumLikelihoodOptions = {}): tf.Scalar {
  assertKnownOptions(options, OPTION_NAMES, 'maximumLikelihoodLoss');
  const logProb = flow.uncheckedLogProbWith(data, {
    context: options.context,
    solver: options.solver ?? LIKELIHOOD_SOLVER,
    trace: options.trace,
    random: options.random,
  });
  return tf.neg(tf.mean(logProb)) as tf.Scalar;
}
