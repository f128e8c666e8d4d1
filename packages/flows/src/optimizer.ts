import * as tf from '@tensorflow/tfjs';
import { newVariable } from '@flows/bijectors';

/** A learning rate as a function of the (1-based) step. */
export type LearningRateSchedule = (step: number) => number;

export interface AdamOptions {
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  /** Added outside the square root, as in `tf.train.adam` (default 1e-7). */
  epsilon?: number;
  /** Decoupled weight decay (AdamW, Loshchilov and Hutter 2019); 0 gives plain Adam. */
  weightDecay?: number;
  /** Clip the gradients' global L2 norm to this value before the update. */
  clipNorm?: number;
}

/** Everything needed to continue an optimizer exactly. */
export interface AdamState {
  step: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
}

/**
 * Adam (Kingma and Ba 2015) over a fixed list of variables, with optional AdamW decay and
 * global-norm clipping. The update equals `tf.train.adam`'s:
 *
 * `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`
 *
 * and, unlike it, its whole state can be read and restored for checkpoints.
 */
export class Adam {
  readonly variables: readonly tf.Variable[];
  private readonly firstMoments: tf.Variable[];
  private readonly secondMoments: tf.Variable[];
  private stepCount = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  private readonly schedule: LearningRateSchedule;

  constructor(variables: readonly tf.Variable[], options: AdamOptions = {}) {
    if (variables.length === 0) throw new Error('Adam: no variables to optimize');
    this.variables = variables;
    const lr = options.learningRate ?? 1e-3;
    this.schedule = typeof lr === 'function' ? lr : () => lr;
    if (typeof lr === 'number' && !(lr > 0)) throw new RangeError(`Adam: learning rate must be positive, got ${lr}`);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay ?? 0;
    this.clipNorm = options.clipNorm;
    if (this.clipNorm !== undefined && !(this.clipNorm > 0)) throw new RangeError(`Adam: clipNorm must be positive, got ${this.clipNorm}`);
    this.firstMoments = variables.map((v) => newVariable(() => tf.zerosLike(v), false));
    this.secondMoments = variables.map((v) => newVariable(() => tf.zerosLike(v), false));
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.stepCount;
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    return this.schedule(this.stepCount + 1);
  }

  /** Applies one update from gradients keyed by variable name; disposes nothing it was given. */
  applyGradients(gradients: tf.NamedTensorMap): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const lr = this.schedule(t);
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      let scale: tf.Scalar | null = null;
      if (this.clipNorm !== undefined) {
        const squares = this.variables.map((v) => tf.sum(tf.square(this.gradientOf(gradients, v))));
        const norm = tf.sqrt(tf.addN(squares));
        scale = tf.minimum(1, tf.div(this.clipNorm, tf.maximum(norm, 1e-12))) as tf.Scalar;
      }
      this.variables.forEach((variable, i) => {
        let g = this.gradientOf(gradients, variable);
        if (scale) g = tf.mul(g, scale);
        const m = tf.add(tf.mul(this.firstMoments[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.secondMoments[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.firstMoments[i].assign(m);
        this.secondMoments[i].assign(v);
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.epsilon));
        let next = tf.sub(variable, tf.mul(update, lr));
        if (this.weightDecay > 0) next = tf.sub(next, tf.mul(variable, lr * this.weightDecay));
        variable.assign(next);
      });
    });
  }

  private gradientOf(gradients: tf.NamedTensorMap, variable: tf.Variable): tf.Tensor {
    return gradients[variable.name] ?? tf.zerosLike(variable);
  }

  getState(): AdamState {
    return {
      step: this.stepCount,
      firstMoments: this.firstMoments.map((m) => m.dataSync() as Float32Array),
      secondMoments: this.secondMoments.map((v) => v.dataSync() as Float32Array),
    };
  }

  setState(state: AdamState): void {
    const n = this.variables.length;
    if (state.firstMoments.length !== n || state.secondMoments.length !== n) {
      throw new Error(`Adam.setState: the state holds moments for ${state.firstMoments.length} variables, the optimizer has ${n}`);
    }
    this.variables.forEach((v, i) => {
      if (state.firstMoments[i].length !== v.size || state.secondMoments[i].length !== v.size) {
        throw new Error(`Adam.setState: moment ${i} has ${state.firstMoments[i].length} values, variable has ${v.size}`);
      }
    });
    this.stepCount = state.step;
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        this.firstMoments[i].assign(tf.tensor(state.firstMoments[i], v.shape));
        this.secondMoments[i].assign(tf.tensor(state.secondMoments[i], v.shape));
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments]);
  }
}

/** Learning-rate schedules. */
export const schedules = {
  constant: (lr: number): LearningRateSchedule => () => lr,
  /** Cosine decay from `lr` to `lr · floor` over `totalSteps`, after `warmupSteps` of linear warm-up. */
  cosine:
    (lr: number, totalSteps: number, options: { warmupSteps?: number; floor?: number } = {}): LearningRateSchedule =>
    (step) => {
      const warmup = options.warmupSteps ?? 0;
      if (step <= warmup) return (lr * step) / Math.max(1, warmup);
      const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
      const floor = options.floor ?? 0.01;
      return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    },
  /** Multiply by `factor` every `every` steps. */
  step:
    (lr: number, every: number, factor = 0.5): LearningRateSchedule =>
    (step) =>
      lr * factor ** Math.floor((step - 1) / every),
};
