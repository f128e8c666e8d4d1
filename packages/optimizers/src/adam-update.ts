import type * as tf from '@tensorflow/tfjs-core';

/** The numbers of one Adam update, the same for every strategy. */
export interface AdamStepSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay factor λ: the parameter is first multiplied by `1 − learningRate · λ`. */
  weightDecay: number;
  /** Global L2 norm the gradient is clipped to, or undefined. */
  clipNorm: number | undefined;
  /** `1 − β₁ᵗ` and `1 − β₂ᵗ`, the bias corrections at this step. */
  correction1: number;
  correction2: number;
}

/**
 * How the Adam update is carried out: where the moments live and which kernels compute it. Every
 * strategy computes the same update (`m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
 * `θ ← θ(1 − lr·λ) − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`), and the moments are one flat buffer
 * each, in the order of the variables.
 */
export interface AdamUpdate {
  /** `host` strategies keep the moments in main memory, `device` ones as tensors. */
  readonly placement: 'host' | 'device';
  /** Applies one update; disposes nothing it was given. */
  apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void;
  /** The moments, read synchronously (throws where the backend cannot read synchronously). */
  momentsSync(): [Float32Array, Float32Array];
  /** The moments, read asynchronously (every backend). */
  readMoments(): Promise<[Float32Array, Float32Array]>;
  /** Replaces the moments (flat, in the order of the variables). */
  setMoments(first: Float32Array, second: Float32Array): void;
  dispose(): void;
}
