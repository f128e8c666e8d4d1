import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { AFFINE_COUPLING_INVERSE } from './kernel-names.js';
import { registerKernelsFor } from './register-kernels.js';

/**
 * The density direction (data → base) of the Real NVP masked affine coupling (Dinh, Sohl-Dickstein
 * and Bengio, "Density estimation using Real NVP", ICLR 2017), from the raw network outputs:
 *
 * - `s = c ⊙ a(r) ⊙ m̄`, with r the scale network's output, a = tanh (or the identity), c the
 *   per-coordinate scale factor (null: 1) and m̄ the inverse mask (1 where the coordinate is transformed);
 * - `x = (y − t ⊙ m̄) ⊙ exp(−s)`, with t the translation network's output;
 * - `log|det ∂x/∂y| = −Σ_i s_i` per row.
 *
 * Where the active backend has a kernel registered under {@link AFFINE_COUPLING_INVERSE} (the
 * `webgpu` backend: one WGSL program per output and a four-dispatch gradient) and
 * `runtimeSettings().fusedKernels` is on, that kernel runs; everywhere else the stock-op
 * composition below, which is the reference every registered kernel is tested against. Callers
 * never ask which backend runs.
 */
export function affineCouplingInverse(
  y: tf.Tensor,
  rawScale: tf.Tensor,
  rawTranslation: tf.Tensor,
  scaleFactor: tf.Tensor | null,
  inverseMask: tf.Tensor,
  tanh: boolean,
): [tf.Tensor, tf.Tensor1D] {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  if (runtimeSettings().fusedKernels && tf.getKernel(AFFINE_COUPLING_INVERSE, backend)) {
    const outputs = tf
      .engine()
      .runKernel(
        AFFINE_COUPLING_INVERSE,
        { y, rawScale, rawTranslation, inverseMask, scaleFactor: scaleFactor ?? tf.onesLike(inverseMask) } as unknown as tf.NamedTensorMap,
        { tanh } as unknown as tf.NamedAttrMap,
      ) as unknown as tf.Tensor[];
    return [outputs[0], outputs[1] as tf.Tensor1D];
  }
  return referenceAffineCouplingInverse(y, rawScale, rawTranslation, scaleFactor, inverseMask, tanh);
}

/** The stock-op composition of {@link affineCouplingInverse}: the reference, and the path on every backend without a fused kernel. */
export function referenceAffineCouplingInverse(
  y: tf.Tensor,
  rawScale: tf.Tensor,
  rawTranslation: tf.Tensor,
  scaleFactor: tf.Tensor | null,
  inverseMask: tf.Tensor,
  tanh: boolean,
): [tf.Tensor, tf.Tensor1D] {
  const activated = tanh ? tf.tanh(rawScale) : rawScale;
  const s = tf.mul(scaleFactor ? tf.mul(activated, scaleFactor) : activated, inverseMask);
  const t = tf.mul(rawTranslation, inverseMask);
  const x = tf.mul(tf.sub(y, t), tf.exp(tf.neg(s)));
  const axes = Array.from({ length: s.rank - 1 }, (_, i) => i + 1);
  return [x, tf.neg(tf.sum(s, axes)) as tf.Tensor1D];
}
