import * as tf from '@tensorflow/tfjs-core';
import { canReadSynchronously, newVariable, assertKnownOptions, optionNames } from '@flows/core';
import { canRunWebgpuPrograms } from '@flows/bijectors';
import { type AdamKernel, createAdamKernel } from './adam-kernel.js';
import { updatedMoment, updatedParameter } from './webgpu-adam.js';

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
  /**
   * Where the update runs: `host` (a JavaScript loop over the values, for backends whose tensors
   * live in main memory: `cpu`, `wasm`) or `device` (tensor kernels, for GPU backends).
   * Default: `host` on `cpu` and `wasm`, else `device`.
   */
  placement?: 'host' | 'device';
  /**
   * With `device` placement on `webgpu`: `fused` (the default there) runs the update as WGSL
   * programs, two dispatches plus one per variable; `tensors` composes stock kernels.
   */
  deviceKernels?: 'fused' | 'tensors';
}

/** Everything needed to continue an optimizer exactly. */
export interface AdamState {
  step: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
}

const ADAM_OPTION_NAMES = optionNames<AdamOptions>()(['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'clipNorm', 'placement', 'deviceKernels']);

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
  /** Device placement: the moments as two flat variables. */
  private readonly firstMoment: tf.Variable | null = null;
  private readonly secondMoment: tf.Variable | null = null;
  /** Host placement: the moments as two flat arrays. */
  private readonly hostFirstMoment: Float32Array | null = null;
  private readonly hostSecondMoment: Float32Array | null = null;
  /** Host placement: the SIMD kernel whose memory holds the moments (null without WebAssembly SIMD). */
  private readonly kernel: AdamKernel | null = null;
  private readonly sizes: number[];
  readonly placement: 'host' | 'device';
  /** Whether the device update runs as the fused WebGPU programs. */
  readonly fused: boolean;
  private stepCount = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  private readonly schedule: LearningRateSchedule;

  constructor(variables: readonly tf.Variable[], options: AdamOptions = {}) {
    assertKnownOptions(options, ADAM_OPTION_NAMES, 'Adam');
    if (variables.length === 0) throw new Error('Adam: no variables to optimize');
    this.variables = variables;
    const lr = options.learningRate ?? 1e-3;
    this.schedule = typeof lr === 'function' ? lr : withPeak(lr, () => lr);
    if (typeof lr === 'number' && !(lr > 0)) throw new RangeError(`Adam: learning rate must be positive, got ${lr}`);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay ?? 0;
    this.clipNorm = options.clipNorm;
    if (this.clipNorm !== undefined && !(this.clipNorm > 0)) throw new RangeError(`Adam: clipNorm must be positive, got ${this.clipNorm}`);
    this.sizes = variables.map((v) => v.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.placement = options.placement ?? (['cpu', 'wasm'].includes(tf.getBackend()) ? 'host' : 'device');
    if (this.placement === 'host') {
      this.kernel = createAdamKernel(total);
      this.hostFirstMoment = this.kernel ? this.kernel.firstMoment.subarray(0, total) : new Float32Array(total);
      this.hostSecondMoment = this.kernel ? this.kernel.secondMoment.subarray(0, total) : new Float32Array(total);
    } else {
      this.firstMoment = newVariable(() => tf.zeros([total]), false);
      this.secondMoment = newVariable(() => tf.zeros([total]), false);
    }
    if (options.deviceKernels === 'fused' && !(this.placement === 'device' && canRunWebgpuPrograms())) {
      throw new Error(`Adam: fused device kernels need the webgpu backend and device placement (backend ${tf.getBackend()}, placement ${this.placement})`);
    }
    this.fused = this.placement === 'device' && options.deviceKernels !== 'tensors' && canRunWebgpuPrograms();
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.stepCount;
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    return this.schedule(this.stepCount + 1);
  }

  /** The schedule's peak rate (the rate the user chose), or the current rate when it is unknown. */
  get peakLearningRate(): number {
    return peakLearningRate(this.schedule) ?? this.learningRate;
  }

  /**
   * Applies one update from gradients keyed by variable name; disposes nothing it was given.
   *
   * The moments live in one flat buffer each, and the gradients are concatenated into one flat
   * tensor, so the update costs about a dozen kernels plus two per variable instead of a dozen
   * per variable: on small models the optimizer's kernel count, not its arithmetic, sets the pace.
   */
  applyGradients(gradients: tf.NamedTensorMap): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const lr = this.schedule(t);
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    if (this.placement === 'host') {
      this.applyOnHost(gradients, lr, correction1, correction2);
      return;
    }
    if (this.fused) {
      this.applyFused(gradients, lr, correction1, correction2);
      return;
    }
    const firstMoment = this.firstMoment!;
    const secondMoment = this.secondMoment!;
    tf.tidy(() => {
      let g: tf.Tensor = this.flatGradient(gradients);
      if (this.clipNorm !== undefined) {
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        g = tf.mul(g, tf.minimum(1, tf.div(this.clipNorm, tf.maximum(norm, 1e-12))));
      }
      const m = tf.add(tf.mul(firstMoment, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(secondMoment, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      firstMoment.assign(m);
      secondMoment.assign(v);
      const step = tf.mul(tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.epsilon)), lr);
      // Slices, not tf.split: wasm's SplitV copies slowly (tens of ms for a few hundred pieces).
      let offset = 0;
      this.variables.forEach((variable, i) => {
        const piece = tf.reshape(tf.slice(step, [offset], [this.sizes[i]]), variable.shape);
        offset += this.sizes[i];
        const decayed = this.weightDecay > 0 ? tf.mul(variable, 1 - lr * this.weightDecay) : variable;
        variable.assign(tf.sub(decayed, piece));
      });
    });
  }

  /** All gradients as one flat tensor, in the order of the variables (zeros for a variable without one). */
  private flatGradient(gradients: tf.NamedTensorMap): tf.Tensor1D {
    return tf.concat(this.variables.map((v) => tf.reshape(gradients[v.name] ?? tf.zerosLike(v), [-1]))) as tf.Tensor1D;
  }

  /** The device update as WGSL programs (webgpu): one dispatch per moment, then one per variable. */
  private applyFused(gradients: tf.NamedTensorMap, lr: number, correction1: number, correction2: number): void {
    const firstMoment = this.firstMoment!;
    const secondMoment = this.secondMoment!;
    tf.tidy(() => {
      const g = this.flatGradient(gradients);
      const squares = (this.clipNorm !== undefined ? tf.reshape(tf.sum(tf.square(g)), [1]) : tf.zeros([1])) as tf.Tensor1D;
      const m = updatedMoment(firstMoment as tf.Tensor1D, g, squares, 'first', this.beta1, this.clipNorm ?? 0);
      const v = updatedMoment(secondMoment as tf.Tensor1D, g, squares, 'second', this.beta2, this.clipNorm ?? 0);
      firstMoment.assign(m);
      secondMoment.assign(v);
      const common = { stepSize: lr / correction1, inverseCorrection2: 1 / correction2, epsilon: this.epsilon, decay: 1 - lr * this.weightDecay };
      let offset = 0;
      this.variables.forEach((variable, i) => {
        variable.assign(updatedParameter(variable, m, v, { offset, ...common }));
        offset += this.sizes[i];
      });
    });
  }

  /**
   * The same update as a JavaScript loop. On `cpu` and `wasm` reading a tensor is a memory copy,
   * and one loop over all parameters beats hundreds of small kernels (wasm's Slice and SplitV
   * alone cost more than the arithmetic).
   */
  private applyOnHost(gradients: tf.NamedTensorMap, lr: number, correction1: number, correction2: number): void {
    const m = this.hostFirstMoment!;
    const v = this.hostSecondMoment!;
    const grads = this.variables.map((variable) => {
      const g = gradients[variable.name];
      return g ? (g.dataSync() as Float32Array) : new Float32Array(variable.size);
    });
    let scale = 1;
    if (this.clipNorm !== undefined) {
      let squares = 0;
      for (const g of grads) for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
      const norm = Math.sqrt(squares);
      scale = Math.min(1, this.clipNorm / Math.max(norm, 1e-12));
    }
    const { beta1, beta2, epsilon } = this;
    const decay = 1 - lr * this.weightDecay;
    if (this.kernel) {
      const kernel = this.kernel;
      let at = 0;
      this.variables.forEach((variable, k) => {
        kernel.gradients.set(grads[k], at);
        kernel.parameters.set(variable.dataSync() as Float32Array, at);
        at += grads[k].length;
      });
      kernel.update(at, { beta1, beta2, stepSize: lr / correction1, inverseCorrection2: 1 / correction2, epsilon, decay, scale });
      at = 0;
      // wasm copies new tensor data into its heap at once; the cpu backend keeps a reference, so
      // it gets its own copy of the kernel's buffer, which the next step overwrites.
      const copies = tf.getBackend() !== 'wasm';
      this.variables.forEach((variable) => {
        const view = kernel.parameters.subarray(at, at + variable.size);
        const values = copies ? view.slice() : view;
        at += variable.size;
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      });
      return;
    }
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const stepSize = lr / correction1;
    const inverseCorrection2 = 1 / correction2;
    let offset = 0;
    this.variables.forEach((variable, k) => {
      const g = grads[k];
      const values = Float32Array.from(variable.dataSync() as Float32Array);
      for (let i = 0, j = offset; i < g.length; i++, j++) {
        const gi = g[i] * scale;
        const mj = beta1 * m[j] + oneMinusBeta1 * gi;
        const vj = beta2 * v[j] + oneMinusBeta2 * gi * gi;
        m[j] = mj;
        v[j] = vj;
        values[i] = values[i] * decay - (stepSize * mj) / (Math.sqrt(vj * inverseCorrection2) + epsilon);
      }
      offset += g.length;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    });
  }

  /**
   * The state for a checkpoint. Reads the device's moments back synchronously: where the backend
   * cannot (WebGPU in Node), this throws and {@link readState} is the way.
   */
  getState(): AdamState {
    if (this.firstMoment && !canReadSynchronously()) {
      throw new Error(`Adam.getState: the ${tf.getBackend()} backend cannot read tensors synchronously here; use await adam.readState()`);
    }
    return this.stateFrom(
      this.hostFirstMoment ?? (this.firstMoment!.dataSync() as Float32Array),
      this.hostSecondMoment ?? (this.secondMoment!.dataSync() as Float32Array),
    );
  }

  /** The state for a checkpoint, read asynchronously: works on every backend. */
  async readState(): Promise<AdamState> {
    if (!this.firstMoment) return this.getState();
    const [first, second] = await Promise.all([this.firstMoment.data() as Promise<Float32Array>, this.secondMoment!.data() as Promise<Float32Array>]);
    return this.stateFrom(first, second);
  }

  private stateFrom(first: Float32Array, second: Float32Array): AdamState {
    const split = (values: Float32Array) => {
      let offset = 0;
      return this.sizes.map((size) => {
        offset += size;
        return values.slice(offset - size, offset);
      });
    };
    return { step: this.stepCount, firstMoments: split(first), secondMoments: split(second) };
  }

  setState(state: AdamState): void {
    const n = this.variables.length;
    if (state.firstMoments.length !== n || state.secondMoments.length !== n) {
      throw new Error(`Adam.setState: the state holds moments for ${state.firstMoments.length} variables, the optimizer has ${n}`);
    }
    this.sizes.forEach((size, i) => {
      if (state.firstMoments[i].length !== size || state.secondMoments[i].length !== size) {
        throw new Error(`Adam.setState: moment ${i} has ${state.firstMoments[i].length} values, variable has ${size}`);
      }
    });
    const join = (parts: Float32Array[]) => {
      const flat = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
      let offset = 0;
      for (const part of parts) {
        flat.set(part, offset);
        offset += part.length;
      }
      return flat;
    };
    this.stepCount = state.step;
    if (this.hostFirstMoment && this.hostSecondMoment) {
      this.hostFirstMoment.set(join(state.firstMoments));
      this.hostSecondMoment.set(join(state.secondMoments));
      return;
    }
    tf.tidy(() => {
      this.firstMoment!.assign(tf.tensor1d(join(state.firstMoments)));
      this.secondMoment!.assign(tf.tensor1d(join(state.secondMoments)));
    });
  }

  dispose(): void {
    if (this.firstMoment) tf.dispose([this.firstMoment, this.secondMoment!]);
  }
}

/** Learning-rate schedules. */
/** A schedule that remembers its peak rate, so that messages can name the rate the user chose. */
function withPeak(peak: number, schedule: LearningRateSchedule): LearningRateSchedule {
  return Object.assign(schedule, { peak });
}

/** The highest rate of a schedule made by {@link schedules} (or of a constant), else undefined. */
export function peakLearningRate(rate: number | LearningRateSchedule | undefined): number | undefined {
  return typeof rate === 'number' ? rate : (rate as { peak?: number } | undefined)?.peak;
}

export const schedules = {
  constant: (lr: number): LearningRateSchedule => withPeak(lr, () => lr),
  /** Cosine decay from `lr` to `lr · floor` over `totalSteps`, after `warmupSteps` of linear warm-up. */
  cosine: (lr: number, totalSteps: number, options: { warmupSteps?: number; floor?: number } = {}): LearningRateSchedule =>
    withPeak(lr, (step) => {
      const warmup = options.warmupSteps ?? 0;
      if (step <= warmup) return (lr * step) / Math.max(1, warmup);
      const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
      const floor = options.floor ?? 0.01;
      return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }),
  /** Multiply by `factor` every `every` steps. */
  step: (lr: number, every: number, factor = 0.5): LearningRateSchedule => withPeak(lr, (step) => lr * factor ** Math.floor((step - 1) / every)),
};
