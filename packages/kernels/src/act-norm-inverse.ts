import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { ACT_NORM_INVERSE, ACT_NORM_INVERSE_GRADIENT } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/**
 * ActNorm's density direction (Kingma and Dhariwal, "Glow", 2018): `x = (y − b) ⊙ e^{−s}`, with the
 * bias b and log-scale s `[C]` per channel (the last axis of y), broadcast over the others.
 *
 * Gradients, with g the incoming gradient of x: `∂/∂y = g ⊙ e^{−s}`, `∂/∂b = −Σ g ⊙ e^{−s}`,
 * `∂/∂s = −Σ g ⊙ (y − b) ⊙ e^{−s}`, the sums over all axes but the last.
 *
 * Where the active backend has a kernel registered under {@link ACT_NORM_INVERSE} (`wasm` with
 * `@flows/native-kernels`: one threaded native pass each way, in place of a subtraction and a product
 * forward and about eight kernels backward, two of them reductions over every pixel) and
 * `runtimeSettings().fusedKernels` is on, that kernel runs, and its gradient the backend's
 * {@link ACT_NORM_INVERSE_GRADIENT} kernel (or {@link referenceActNormInverseGradient}); everywhere
 * else the stock-op composition {@link referenceActNormInverse}, the reference every registered
 * kernel is tested against.
 */
export function actNormInverse(y: tf.Tensor, bias: tf.Tensor, logScale: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  if (runtimeSettings().fusedKernels && tf.getKernel(ACT_NORM_INVERSE, backend) && [y, bias, logScale].every((t) => t.dtype === 'float32')) {
    registerActNormGradient();
    return runFlowsKernel(ACT_NORM_INVERSE, { y, bias, logScale }, {});
  }
  return referenceActNormInverse(y, bias, logScale);
}

/** The stock-op composition of {@link actNormInverse}: the reference, and the path on every backend without a fused kernel. */
export function referenceActNormInverse(y: tf.Tensor, bias: tf.Tensor, logScale: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sub(y, bias), tf.exp(tf.neg(logScale))));
}

/** The gradients of {@link actNormInverse} as stock operations, from g (the gradient of x) and its inputs: y, bias, log-scale. */
export function referenceActNormInverseGradient(dx: tf.Tensor, y: tf.Tensor, bias: tf.Tensor, logScale: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const decay = tf.exp(tf.neg(logScale));
    const dy = tf.mul(dx, decay);
    const axes = Array.from({ length: y.rank - 1 }, (_, i) => i);
    return [dy, tf.neg(tf.sum(dy, axes)), tf.neg(tf.sum(tf.mul(dy, tf.sub(y, bias)), axes))];
  });
}

let gradientRegistered = false;

/**
 * Registers the gradient of {@link ACT_NORM_INVERSE} (once; gradients in TensorFlow.js belong to a
 * kernel name, not to a backend): the backend's {@link ACT_NORM_INVERSE_GRADIENT} kernel where it
 * has one, else {@link referenceActNormInverseGradient}.
 */
function registerActNormGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: ACT_NORM_INVERSE,
    inputsToSave: ['y', 'bias', 'logScale'],
    gradFunc: (upstream, saved) => {
      const dx = upstream as tf.Tensor;
      const [y, bias, logScale] = saved;
      const [dy, dBias, dLogScale] = tf.getKernel(ACT_NORM_INVERSE_GRADIENT, tf.getBackend())
        ? runFlowsKernel(ACT_NORM_INVERSE_GRADIENT, { dx, y, bias, logScale }, {})
        : referenceActNormInverseGradient(dx, y, bias, logScale);
      return { y: () => dy, bias: () => dBias, logScale: () => dLogScale };
    },
  });
}
