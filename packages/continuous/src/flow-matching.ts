import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames, Random } from '@flows/core';
import { uniformTensor } from '@flows/distributions';
import type { ContinuousFlow } from './continuous-flow.js';
import { type CouplingMethod, minibatchCoupling } from './ot-coupling.js';
import type { SolverOptions } from './ode-solver.js';

/**
 * The probability path the regression follows from noise `x₀` (at t = 0) to data `x₁` (at t = 1):
 *
 * - `ot`, the optimal-transport conditional path of Lipman et al. ("Flow Matching for Generative
 *   Modeling", ICLR 2023, eq. 20-23): `x_t = (1 − (1 − σ_min) t) x₀ + t x₁`, target velocity
 *   `u_t = x₁ − (1 − σ_min) x₀`; the data end is blurred by `σ_min`.
 * - `rectified`, the straight path of rectified flow (Liu, Gong and Liu, "Flow Straight and Fast",
 *   ICLR 2023): `x_t = (1 − t) x₀ + t x₁`, `u_t = x₁ − x₀` (the OT path with σ_min = 0). Trained on
 *   the flow's own pairs ({@link reflowPairs}) it is "reflow", which straightens the paths further.
 */
export type ProbabilityPath = 'ot' | 'rectified';

/**
 * The distribution of the regression's times (option `timeSampling` of {@link flowMatchingLoss}).
 * Any distribution with full support on (0, 1) leaves the minimiser unchanged (the regression is
 * minimised at every t by the marginal field); it moves the network's capacity and the gradient's
 * noise between times, which matters for a finite network and a finite run:
 *
 * - `uniform` (the default): `t ~ U[0, 1]`.
 * - `logit-normal`: `t = sigmoid(m + s·z)`, `z ~ N(0, 1)` (Esser et al., "Scaling Rectified Flow
 *   Transformers", ICML 2024), more weight in the middle of the path for `m = 0`, towards the data
 *   end for `m > 0`.
 * - `power`: `t = 1 − (1 − u)^k`, `u ~ U[0, 1]`, density `(1 − t)^{1/k − 1} / k`, more weight towards
 *   the data end (t = 1, where the OT path's field sharpens into the data's edges) for `k > 1`.
 */
export type TimeSampling = 'uniform' | { distribution: 'logit-normal'; location?: number; scale?: number } | { distribution: 'power'; exponent: number };

/**
 * Draws `n` times from a {@link TimeSampling}, as a `[n]` tensor.
 */
export function sampleTimes(n: number, sampling: TimeSampling, random: Random): tf.Tensor1D {
  if (sampling === 'uniform') return uniformTensor([n], random) as tf.Tensor1D;
  if (typeof sampling === 'object' && sampling !== null && sampling.distribution === 'logit-normal') {
    const location = sampling.location ?? 0;
    const scale = sampling.scale ?? 1;
    if (!Number.isFinite(location) || !(scale > 0 && Number.isFinite(scale))) {
      throw new RangeError(`flowMatchingLoss: a logit-normal timeSampling needs a finite location and a positive scale, got ${location} and ${scale}`);
    }
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = 1 / (1 + Math.exp(-(location + scale * random.normal())));
    return tf.tensor1d(values);
  }
  if (typeof sampling === 'object' && sampling !== null && sampling.distribution === 'power') {
    const k = sampling.exponent;
    if (!(k > 0 && Number.isFinite(k))) throw new RangeError(`flowMatchingLoss: a power timeSampling needs a positive exponent, got ${k}`);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = 1 - (1 - random.uniform()) ** k;
    return tf.tensor1d(values);
  }
  throw new RangeError(
    `flowMatchingLoss: timeSampling must be 'uniform', { distribution: 'logit-normal', location, scale } or { distribution: 'power', exponent }, got ${JSON.stringify(sampling)}`,
  );
}

/** Options of {@link flowMatchingLoss}. */
export interface FlowMatchingOptions {
  /** The path (default `ot`). */
  path?: ProbabilityPath;
  /** σ_min of the `ot` path (default 1e-4). */
  sigmaMin?: number;
  /**
   * How noise and data are paired (default `independent`): `exact` or `sinkhorn` minibatch optimal
   * transport ({@link minibatchCoupling}). Only for unconditional flows: pairing by distance would
   * make the noise depend on the context.
   */
  coupling?: CouplingMethod;
  /** Sinkhorn's relative regularisation and iterations (coupling `sinkhorn`). */
  sinkhorn?: { epsilon?: number; iterations?: number };
  /** Generator for the noise, the times and Sinkhorn's pairs (default: a fresh seed). */
  random?: Random | number;
  /** Context rows, one per data row, for a conditional flow. */
  context?: tf.Tensor;
  /** Noise rows paired with the data rows (reflow); default: drawn from the flow's base. */
  noise?: tf.Tensor;
  /** Times, one per row (default: drawn from `timeSampling`). */
  times?: tf.Tensor1D;
  /** The distribution of the times when `times` is not given (default `uniform`); see {@link TimeSampling}. */
  timeSampling?: TimeSampling;
}

const OPTION_NAMES = optionNames<FlowMatchingOptions>()(['path', 'sigmaMin', 'coupling', 'sinkhorn', 'random', 'context', 'noise', 'times', 'timeSampling']);

function toRandom(random: Random | number | undefined): Random {
  return random instanceof Random ? random : new Random(random ?? Math.floor(Math.random() * 2 ** 32));
}

/**
 * The conditional flow-matching loss (Lipman et al. 2023): simulation-free, a regression of the
 * field on the path's velocity at random times,
 *
 * `L = E_{t ~ U[0,1], x₀ ~ base, x₁ ~ data} ‖v(x_t, t[, c]) − u_t(x₀, x₁)‖²`
 *
 * (squared norm over the event, mean over the batch), whose gradient equals that of the regression
 * on the marginal field that carries the base to the data. Returns a scalar loss tensor for
 * `tf.variableGrads` or any optimizer; no tidy (call it inside the optimizer's scope).
 *
 * The noise comes from the flow's base, which the regression does not train: a learned base (a
 * `DiagonalNormal`) keeps its parameters under flow matching; only maximum likelihood moves them.
 */
export function flowMatchingLoss(flow: ContinuousFlow, data: tf.Tensor, options: FlowMatchingOptions = {}): tf.Scalar {
  assertKnownOptions(options, OPTION_NAMES, 'flowMatchingLoss');
  const path = options.path ?? 'ot';
  if (path !== 'ot' && path !== 'rectified') throw new RangeError(`flowMatchingLoss: path must be 'ot' or 'rectified', got ${JSON.stringify(path)}`);
  const sigmaMin = path === 'ot' ? (options.sigmaMin ?? 1e-4) : 0;
  if (!(sigmaMin >= 0 && sigmaMin < 1)) throw new RangeError(`flowMatchingLoss: sigmaMin must be in [0, 1), got ${options.sigmaMin}`);
  const coupling = options.coupling ?? 'independent';
  if (coupling !== 'independent' && coupling !== 'exact' && coupling !== 'sinkhorn') {
    throw new RangeError(`flowMatchingLoss: coupling must be 'independent', 'exact' or 'sinkhorn', got ${JSON.stringify(coupling)}`);
  }
  if (coupling !== 'independent' && flow.contextSize > 0) {
    throw new RangeError(
      "flowMatchingLoss: minibatch optimal-transport coupling pairs noise with data by distance, which would make the noise depend on the context; use coupling 'independent' for a conditional flow",
    );
  }
  if (coupling !== 'independent' && options.noise) throw new RangeError('flowMatchingLoss: noise given with its pairing (reflow) takes no further coupling');
  const n = data.shape[0];
  if (options.times && (options.times.rank !== 1 || options.times.shape[0] !== n)) {
    throw new RangeError(`flowMatchingLoss: times must have shape [${n}], one per data row, got [${options.times.shape}]`);
  }
  if (options.times && options.timeSampling !== undefined) throw new RangeError('flowMatchingLoss: give times or timeSampling, not both');
  const random = toRandom(options.random);
  const baseContext = flow.base.contextSize > 0 ? options.context : undefined;
  let x0 = options.noise ?? tf.tidy(() => flow.base.sample(n, { random, context: baseContext }));
  if (x0.shape.join(',') !== data.shape.join(',')) throw new RangeError(`flowMatchingLoss: noise of shape [${x0.shape}] for data of shape [${data.shape}]`);
  if (coupling !== 'independent') {
    const order = minibatchCoupling(x0, data, { method: coupling, ...options.sinkhorn, random });
    const paired = tf.gather(x0, tf.tensor1d(order, 'int32'));
    x0.dispose();
    x0 = paired;
  }
  const times = options.times ?? sampleTimes(n, options.timeSampling ?? 'uniform', random);
  const column = tf.reshape(times, [n, ...data.shape.slice(1).map(() => 1)]);
  // x_t = (1 − (1 − σ_min) t) x₀ + t x₁ and u_t = x₁ − (1 − σ_min) x₀ (σ_min = 0: the rectified-flow line).
  const xt = tf.add(tf.mul(tf.sub(1, tf.mul(column, 1 - sigmaMin)), x0), tf.mul(column, data));
  const target = tf.sub(data, tf.mul(x0, 1 - sigmaMin));
  const velocity = flow.field.apply(xt, times, flow.field.contextSize > 0 ? options.context : undefined);
  const eventAxes = data.shape.slice(1).map((_, i) => i + 1);
  const loss = tf.mean(tf.sum(tf.square(tf.sub(velocity, target)), eventAxes)) as tf.Scalar;
  if (!options.noise) x0.dispose();
  return loss;
}

/**
 * Pairs for reflow (Liu et al. 2023): noise `z ~ base` and the flow's own image `x = Φ(z)` of it,
 * to train a field with `flowMatchingLoss(flow, data, { path: 'rectified', noise })` whose paths are
 * straighter than the first flow's (fewer solver steps for the same samples).
 */
export function reflowPairs(
  flow: ContinuousFlow,
  n: number,
  options: { random?: Random | number; context?: tf.Tensor; solver?: SolverOptions } = {},
): { noise: tf.Tensor; data: tf.Tensor } {
  const random = toRandom(options.random);
  const noise = flow.base.sample(n, { random, context: flow.base.contextSize > 0 ? options.context : undefined });
  const data = flow.transform(noise, { context: options.context, solver: options.solver });
  return { noise, data };
}
