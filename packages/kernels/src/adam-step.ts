import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { ADAM_MOMENT, ADAM_PARAMETER, type AdamParameterStep } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/** Whether the active backend runs the Adam operations as fused kernels (the `webgpu` backend does). */
export function hasFusedAdamKernels(): boolean {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  return runtimeSettings().fusedKernels && tf.getKernel(ADAM_MOMENT, backend) !== undefined && tf.getKernel(ADAM_PARAMETER, backend) !== undefined;
}

/**
 * One Adam moment over the flat gradient g, scaled by the clip factor
 * `min(1, clipNorm / √S)` from the gradient's sum of squares S (`clipNorm` 0: no clipping):
 * the first moment `β m + (1 − β) g`, or the second `β v + (1 − β) g²`. A fused kernel where the
 * backend registers one (one dispatch on `webgpu`), else the stock-op reference.
 */
export function adamMoment(
  moment: tf.Tensor1D,
  gradient: tf.Tensor1D,
  sumOfSquares: tf.Tensor1D,
  which: 'first' | 'second',
  beta: number,
  clipNorm: number,
): tf.Tensor1D {
  if (hasFusedAdamKernels()) {
    return runFlowsKernel(ADAM_MOMENT, { moment, gradient, sumOfSquares }, { which, beta, clipNorm }) as tf.Tensor1D;
  }
  return referenceAdamMoment(moment, gradient, sumOfSquares, which, beta, clipNorm);
}

/** The stock-op composition of {@link adamMoment}: the reference the fused kernels are tested against. */
export function referenceAdamMoment(
  moment: tf.Tensor1D,
  gradient: tf.Tensor1D,
  sumOfSquares: tf.Tensor1D,
  which: 'first' | 'second',
  beta: number,
  clipNorm: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const scale = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.maximum(tf.sqrt(sumOfSquares), 1e-12))) : tf.scalar(1);
    const g = tf.mul(gradient, scale);
    return tf.add(tf.mul(moment, beta), tf.mul(which === 'first' ? g : tf.square(g), 1 - beta)) as tf.Tensor1D;
  });
}

/**
 * A variable's new values from the updated flat moments m and v (its part starts at `offset`):
 * `p · decay − stepSize · m / (√(v · inverseCorrection2) + ε)`. A fused kernel where the backend
 * registers one, else the stock-op reference.
 */
export function adamParameter(parameter: tf.Tensor, firstMoment: tf.Tensor1D, secondMoment: tf.Tensor1D, step: AdamParameterStep): tf.Tensor {
  if (hasFusedAdamKernels()) {
    return runFlowsKernel(ADAM_PARAMETER, { parameter, firstMoment, secondMoment }, { ...step });
  }
  return referenceAdamParameter(parameter, firstMoment, secondMoment, step);
}

/** The stock-op composition of {@link adamParameter}. */
export function referenceAdamParameter(parameter: tf.Tensor, firstMoment: tf.Tensor1D, secondMoment: tf.Tensor1D, step: AdamParameterStep): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.reshape(tf.slice(firstMoment, [step.offset], [parameter.size]), parameter.shape);
    const v = tf.reshape(tf.slice(secondMoment, [step.offset], [parameter.size]), parameter.shape);
    const update = tf.div(tf.mul(m, step.stepSize), tf.add(tf.sqrt(tf.mul(v, step.inverseCorrection2)), step.epsilon));
    return tf.sub(tf.mul(parameter, step.decay), update);
  });
}
