import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import { hasFusedAdamKernels, hasFusedAdamUpdate, tensorsInMainMemory } from '@flows/kernels';
import { createAdamKernel } from './adam-simd-kernel.js';
import type { AdamUpdate } from './adam-update.js';
import { DeviceKernelUpdate } from './device-kernel-update.js';
import { DeviceTensorUpdate } from './device-tensor-update.js';
import { HostLoopUpdate } from './host-loop-update.js';
import { HostSimdUpdate } from './host-simd-update.js';
import { type LearningRateSchedule, withPeak } from './schedules.js';

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
   * Where the update runs: `host` (a WebAssembly SIMD or JavaScript loop over the values, for
   * backends whose tensors live in main memory: `cpu`, `wasm`) or `device` (kernels of the backend).
   * Default: `device` where the backend registers the fused Adam kernels of `@flows/kernels`
   * (`webgpu`; `wasm` with the native kernels of `@flows/native-kernels`), `host` on `cpu` and `wasm`
   * otherwise, `device` on the other backends.
   */
  placement?: 'host' | 'device';
  /**
   * With `device` placement where the backend registers them: `fused` (the default there) runs the
   * update as the fused kernels, two calls plus one per variable (WGSL programs on `webgpu`,
   * threaded native loops on `wasm`); `tensors` composes stock kernels.
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
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) over a fixed list
 * of variables, with optional AdamW decay (Loshchilov and Hutter, ICLR 2019) and global-norm
 * clipping. The update equals `tf.train.adam`'s:
 *
 * `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`
 *
 * and, unlike it, its whole state can be read and restored for checkpoints. Where the update runs
 * is one {@link AdamUpdate} strategy, chosen from the backend and the options: a SIMD kernel or a
 * JavaScript loop on the host, stock tensor kernels or fused WGSL programs on the device.
 */
export class Adam {
  readonly variables: readonly tf.Variable[];
  private readonly sizes: number[];
  private readonly update: AdamUpdate;
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
    // Fused kernels, where the backend registers them (WGSL programs on webgpu; threaded native
    // loops on wasm with @flows/native-kernels; the whole update on wasm's own heap, threaded where
    // it is shared, with @flows/kernels' own wasm kernels), beat both the host loop and the stock tensor kernels.
    const fusedKernels = hasFusedAdamKernels() || hasFusedAdamUpdate();
    const placement = options.placement ?? (fusedKernels || !tensorsInMainMemory() ? 'device' : 'host');
    const fusedAvailable = placement === 'device' && fusedKernels;
    if (options.deviceKernels === 'fused' && !fusedAvailable) {
      throw new Error(
        `Adam: fused device kernels need a backend that registers them (webgpu, or wasm started by selectBackend) and device placement (backend ${tf.getBackend()}, placement ${placement})`,
      );
    }
    this.fused = fusedAvailable && options.deviceKernels !== 'tensors';
    if (placement === 'host') {
      const kernel = createAdamKernel(total);
      this.update = kernel ? new HostSimdUpdate(kernel, total) : new HostLoopUpdate(total);
    } else {
      this.update = this.fused ? new DeviceKernelUpdate(this.sizes, total) : new DeviceTensorUpdate(this.sizes, total);
    }
  }

  /** Where the update runs: `host` or `device`. */
  get placement(): 'host' | 'device' {
    return this.update.placement;
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
    return this.schedule.peak ?? this.learningRate;
  }

  /** Applies one update from gradients keyed by variable name; disposes nothing it was given. */
  applyGradients(gradients: tf.NamedTensorMap): void {
    this.stepCount += 1;
    const t = this.stepCount;
    this.update.apply(this.variables, gradients, {
      learningRate: this.schedule(t),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      clipNorm: this.clipNorm,
      correction1: 1 - this.beta1 ** t,
      correction2: 1 - this.beta2 ** t,
    });
  }

  /**
   * The state for a checkpoint. Reads device moments back synchronously: where the backend
   * cannot (WebGPU in Node), this throws and {@link readState} is the way.
   */
  getState(): AdamState {
    return this.stateFrom(...this.update.momentsSync());
  }

  /** The state for a checkpoint, read asynchronously: works on every backend. */
  async readState(): Promise<AdamState> {
    return this.stateFrom(...(await this.update.readMoments()));
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
    this.update.setMoments(join(state.firstMoments), join(state.secondMoments));
  }

  dispose(): void {
    this.update.dispose();
  }
}
