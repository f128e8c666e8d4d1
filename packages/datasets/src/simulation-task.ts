import * as tf from '@tensorflow/tfjs-core';
import { type Random, toRandom } from '@flows/core';

/**
 * A task of simulation-based inference (as in the SBI benchmark of Lueckmann et al. 2021): a
 * prior over parameters θ, a simulator that draws data x ~ p(x | θ), a fixed observation x_o, and
 * samples of the true posterior p(θ | x_o) to score an approximation against. Neural posterior
 * estimation fits a conditional flow q(θ | x) to pairs drawn from {@link simulatePairs}.
 */
export interface SimulationTask {
  readonly name: string;
  /** Size of θ. */
  readonly parameterSize: number;
  /** Size of x. */
  readonly dataSize: number;
  /** The task's observation x_o, whose posterior {@link SimulationTask.referencePosterior} samples. */
  readonly observation: readonly number[];
  /** `n` draws of θ from the prior, `[n, parameterSize]`. */
  samplePrior(n: number, random?: Random | number): tf.Tensor2D;
  /** Whether θ lies where the prior has mass (posterior samples outside it are rejected, as sbi does). */
  inPriorSupport(theta: ArrayLike<number>): boolean;
  /** One draw of x for each row of θ, `[n, dataSize]`. */
  simulate(theta: tf.Tensor2D, random?: Random | number): tf.Tensor2D;
  /** `n` exact draws of θ from p(θ | observation) (default: the task's observation), `[n, parameterSize]`. */
  referencePosterior(n: number, options?: { observation?: readonly number[]; random?: Random | number }): tf.Tensor2D;
}

/** Parameters from the prior and data simulated from them: the training pairs of neural posterior estimation. */
export function simulatePairs(task: SimulationTask, n: number, random?: Random | number): { theta: tf.Tensor2D; x: tf.Tensor2D } {
  checkDraws('simulatePairs', n);
  const generator = toRandom(random);
  const theta = task.samplePrior(n, generator);
  return { theta, x: task.simulate(theta, generator) };
}

/** Checks that a number of draws `n` is a positive integer. */
export function checkDraws(who: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${who}: n must be a positive integer, got ${n}`);
}

/** Checks that `observation` is `size` finite numbers. */
export function checkObservation(who: string, observation: readonly number[], size: number): void {
  if (!Array.isArray(observation) || observation.length !== size || !observation.every(Number.isFinite)) {
    throw new RangeError(`${who}: the observation must be ${size} finite numbers, got ${JSON.stringify(observation)}`);
  }
}

/** Checks that θ is a `[n, size]` tensor. */
export function checkParameters(who: string, theta: tf.Tensor, size: number): void {
  if (!(theta instanceof tf.Tensor) || theta.rank !== 2 || theta.shape[1] !== size) {
    throw new RangeError(`${who}: θ must be a tensor of shape [n, ${size}], got ${theta instanceof tf.Tensor ? `[${theta.shape.join(', ')}]` : typeof theta}`);
  }
}
