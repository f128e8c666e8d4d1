import * as tf from '@tensorflow/tfjs-core';
import { type Random, toRandom } from '@flows/core';
import { checkDraws, checkObservation, checkParameters, type SimulationTask } from './simulation-task.js';

/** Options of {@link SbiGaussianLinear}. */
export interface SbiGaussianLinearOptions {
  /** Size of θ and of x (default 10, the benchmark's). */
  dimension?: number;
  /** Prior variance σ₀² of each θ_i (default 0.1). */
  priorVariance?: number;
  /** Noise variance σ² of each x_i (default 0.1). */
  noiseVariance?: number;
  /** The observation x_o (default: one simulation at a prior draw, both from seed 1). */
  observation?: readonly number[];
}

/**
 * The "Gaussian linear" task of the SBI benchmark (Lueckmann et al. 2021): θ ~ N(0, σ₀² I),
 * x | θ ~ N(θ, σ² I), in `dimension` dimensions (σ₀² = σ² = 0.1 and 10 dimensions there). Its
 * posterior is Gaussian in closed form,
 *
 * `θ | x ~ N(σ₀²/(σ₀² + σ²) · x, σ₀²σ²/(σ₀² + σ²) · I)`,
 *
 * so an estimate's mean and covariance can be checked exactly ({@link SbiGaussianLinear.posterior}).
 */
export class SbiGaussianLinear implements SimulationTask {
  readonly name = 'gaussian-linear';
  readonly parameterSize: number;
  readonly dataSize: number;
  readonly priorVariance: number;
  readonly noiseVariance: number;
  readonly observation: readonly number[];

  constructor(options: SbiGaussianLinearOptions = {}) {
    const dimension = options.dimension ?? 10;
    if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`SbiGaussianLinear: dimension must be a positive integer, got ${dimension}`);
    this.priorVariance = options.priorVariance ?? 0.1;
    this.noiseVariance = options.noiseVariance ?? 0.1;
    for (const [name, value] of [
      ['priorVariance', this.priorVariance],
      ['noiseVariance', this.noiseVariance],
    ] as const) {
      if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`SbiGaussianLinear: ${name} must be a positive number, got ${value}`);
    }
    this.parameterSize = dimension;
    this.dataSize = dimension;
    if (options.observation) {
      checkObservation('SbiGaussianLinear', options.observation, dimension);
      this.observation = [...options.observation];
    } else {
      const random = toRandom(1);
      this.observation = Array.from(
        { length: dimension },
        () => Math.sqrt(this.priorVariance) * random.normal() + Math.sqrt(this.noiseVariance) * random.normal(),
      );
    }
  }

  samplePrior(n: number, random?: Random | number): tf.Tensor2D {
    checkDraws('SbiGaussianLinear.samplePrior', n);
    const d = this.parameterSize;
    return tf.tensor2d(toRandom(random).fillNormal(new Float32Array(n * d), 0, Math.sqrt(this.priorVariance)), [n, d]);
  }

  inPriorSupport(): boolean {
    return true;
  }

  simulate(theta: tf.Tensor2D, random?: Random | number): tf.Tensor2D {
    checkParameters('SbiGaussianLinear.simulate', theta, this.parameterSize);
    const noise = toRandom(random).fillNormal(new Float32Array(theta.size), 0, Math.sqrt(this.noiseVariance));
    return tf.tidy(() => tf.add(theta, tf.tensor2d(noise, theta.shape)) as tf.Tensor2D);
  }

  /** The exact posterior at `observation` (default the task's): its mean and covariance matrix. */
  posterior(observation: readonly number[] = this.observation): { mean: number[]; covariance: number[][] } {
    checkObservation('SbiGaussianLinear.posterior', observation, this.dataSize);
    const shrink = this.priorVariance / (this.priorVariance + this.noiseVariance);
    const variance = shrink * this.noiseVariance;
    const d = this.parameterSize;
    return {
      mean: observation.map((x) => shrink * x),
      covariance: Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? variance : 0))),
    };
  }

  referencePosterior(n: number, options: { observation?: readonly number[]; random?: Random | number } = {}): tf.Tensor2D {
    checkDraws('SbiGaussianLinear.referencePosterior', n);
    const { mean, covariance } = this.posterior(options.observation ?? this.observation);
    const d = this.parameterSize;
    const draws = toRandom(options.random).fillNormal(new Float32Array(n * d), 0, Math.sqrt(covariance[0][0]));
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) draws[i * d + j] += mean[j];
    return tf.tensor2d(draws, [n, d]);
  }
}
