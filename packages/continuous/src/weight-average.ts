import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@flows/core';

/** Options of {@link WeightAverage}. */
export interface WeightAverageOptions {
  /** The decay β of the average, in (0, 1) (default 0.999: a horizon of about 1 000 updates). */
  decay?: number;
  /**
   * Ramp the decay up as `min(β, (1 + n) / (10 + n))` after `n` updates (default true), so that the
   * average is not dominated by the initial weights in a short run.
   */
  warmup?: boolean;
}

/** What {@link WeightAverage.readState} reads and {@link WeightAverage.setState} restores. */
export interface WeightAverageState {
  /** Updates folded in so far. */
  updates: number;
  /** The average of each variable, in the variables' order, flattened. */
  averages: ArrayLike<number>[];
}

/**
 * An exponential moving average of a model's weights, `w̄ ← β w̄ + (1 − β) w` after each optimizer
 * step, to evaluate and save instead of the last iterate. Flow matching regresses on a very noisy
 * target (each row's velocity is one draw of the pair (x₀, x₁)), so the last iterate jitters
 * around the minimiser; the average removes most of that jitter, a gain well known for diffusion
 * and flow-matching models (measured on the Chequerboard in this package's README).
 *
 * ```ts
 * const average = new WeightAverage(flow.trainableVariables, { decay: 0.999 });
 * // in the loop, after optimizer.applyGradients(grads):
 * average.update();
 * // at the end: the averaged weights into the flow (to evaluate or save it), the live ones gone
 * average.copyToVariables();
 * average.dispose();
 * ```
 *
 * {@link WeightAverage.swap} exchanges the live weights and the average instead, to evaluate during
 * training and swap back. The averages are non-trainable variables of their own; `dispose` frees them.
 */
export class WeightAverage {
  readonly decay: number;
  readonly warmup: boolean;
  private readonly variables: readonly tf.Variable[];
  private readonly averages: tf.Variable[];
  private count = 0;

  constructor(variables: readonly tf.Variable[], options: WeightAverageOptions = {}) {
    const decay = options.decay ?? 0.999;
    if (!(decay > 0 && decay < 1)) throw new ConfigError(`WeightAverage: decay must be in (0, 1), got ${decay}`);
    this.decay = decay;
    this.warmup = options.warmup ?? true;
    this.variables = [...variables];
    this.averages = this.variables.map((v) => tf.tidy(() => tf.variable(v.clone(), false)));
  }

  /** Updates done so far. */
  get updates(): number {
    return this.count;
  }

  /** The decay the next {@link WeightAverage.update} uses. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.count) / (10 + this.count)) : this.decay;
  }

  /** Folds the variables' current values into the average (call after each optimizer step). */
  update(): void {
    const decay = this.currentDecay();
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        const average = this.averages[i];
        average.assign(tf.add(tf.mul(average, decay), tf.mul(v, 1 - decay)));
      });
    });
    this.count += 1;
  }

  /** Writes the average into the variables (the live weights are overwritten). */
  copyToVariables(): void {
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(this.averages[i])));
  }

  /** Exchanges the variables' values and the average; calling it twice restores both. */
  swap(): void {
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        const live = v.clone();
        v.assign(this.averages[i]);
        this.averages[i].assign(live);
      });
    });
  }

  /**
   * The average and its update count, to checkpoint: with {@link WeightAverage.setState} on a new
   * average of the same variables, a resumed run averages exactly as the uninterrupted one (the
   * warm-up ramp depends on the count, so the values alone are not enough).
   */
  async readState(): Promise<WeightAverageState> {
    const averages = await Promise.all(this.averages.map(async (a) => (await a.data()) as Float32Array));
    return { updates: this.count, averages };
  }

  /** Restores what {@link WeightAverage.readState} read; refuses a state of other variables (count or sizes). */
  setState(state: WeightAverageState): void {
    const n = this.averages.length;
    if (!Number.isInteger(state.updates) || state.updates < 0)
      throw new ConfigError(`WeightAverage.setState: updates must be a non-negative integer, got ${state.updates}`);
    if (state.averages.length !== n)
      throw new ConfigError(`WeightAverage.setState: the state holds ${state.averages.length} averages, there are ${n} variables`);
    state.averages.forEach((values, i) => {
      if (values.length !== this.averages[i].size)
        throw new ConfigError(`WeightAverage.setState: average ${i} has ${values.length} values, its variable has ${this.averages[i].size}`);
    });
    tf.tidy(() => this.averages.forEach((a, i) => a.assign(tf.tensor(Float32Array.from(state.averages[i]), a.shape, 'float32'))));
    this.count = state.updates;
  }

  /** Frees the averages. */
  dispose(): void {
    tf.dispose(this.averages);
  }
}
