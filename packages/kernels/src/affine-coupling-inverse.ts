import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { AFFINE_COUPLING_INVERSE, AFFINE_COUPLING_INVERSE_GRADIENT } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/**
 * The density direction (data → base) of the Real NVP masked affine coupling (Dinh, Sohl-Dickstein
 * and Bengio, "Density estimation using Real NVP", ICLR 2017), from the raw network outputs:
 *
 * - `s = c ⊙ a(r) ⊙ m̄`, with r the scale network's output, a = tanh (or the identity), c the
 *   per-coordinate scale factor (null: 1) and m̄ the inverse mask (1 where the coordinate is transformed);
 * - `x = (y − t ⊙ m̄) ⊙ exp(−s)`, with t the translation network's output;
 * - `log|det ∂x/∂y| = −Σ_i s_i` per row.
 *
 * Gradients, with g_x and g_l the incoming gradients of x and of the log-det:
 * `∂/∂y = g_x e^{−s}`, `∂/∂t = −g_x e^{−s} m̄`, `∂/∂r = −(g_x x + g_l) c m̄ a′(r)`,
 * `∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r)`.
 *
 * Where the active backend has a kernel registered under {@link AFFINE_COUPLING_INVERSE} (the
 * `webgpu` backend: one WGSL program per output; `wasm` with `@flows/native-kernels`: one threaded
 * native loop) and `runtimeSettings().fusedKernels` is on, that kernel runs, and its gradient runs
 * the backend's {@link AFFINE_COUPLING_INVERSE_GRADIENT} kernel (or, where the backend has none,
 * {@link referenceAffineCouplingInverseGradient}); everywhere else the stock-op composition below,
 * which is the reference every registered kernel is tested against. Callers never ask which
 * backend runs.
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
    registerAffineCouplingGradient();
    const [x, logDet] = runFlowsKernel(
      AFFINE_COUPLING_INVERSE,
      { y, rawScale, rawTranslation, inverseMask, scaleFactor: scaleFactor ?? tf.onesLike(inverseMask) },
      { tanh },
    );
    return [x, logDet as tf.Tensor1D];
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

/** The gradients of {@link affineCouplingInverse} as stock operations, from its inputs: in the order y, rawTranslation, rawScale, scaleFactor. */
export function referenceAffineCouplingInverseGradient(
  dx: tf.Tensor,
  dl: tf.Tensor,
  y: tf.Tensor,
  rawScale: tf.Tensor,
  rawTranslation: tf.Tensor,
  inverseMask: tf.Tensor,
  scaleFactor: tf.Tensor,
  tanh: boolean,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const activated = tanh ? tf.tanh(rawScale) : rawScale;
    const slope = tanh ? tf.sub(1, tf.square(activated)) : tf.onesLike(rawScale);
    const s = tf.mul(tf.mul(activated, scaleFactor), inverseMask);
    const decay = tf.exp(tf.neg(s));
    const x = tf.mul(tf.sub(y, tf.mul(rawTranslation, inverseMask)), decay);
    // g_x x + g_l, the log-det's gradient broadcast over each row's event.
    const common = tf.add(tf.mul(dx, x), tf.reshape(dl, [-1, ...inverseMask.shape.map(() => 1)]));
    return [
      tf.mul(dx, decay),
      tf.neg(tf.mul(tf.mul(dx, decay), inverseMask)),
      tf.neg(tf.mul(tf.mul(tf.mul(common, scaleFactor), inverseMask), slope)),
      tf.neg(tf.mul(inverseMask, tf.sum(tf.mul(common, activated), 0))),
    ];
  });
}

let gradientRegistered = false;

/**
 * Registers the gradient of {@link AFFINE_COUPLING_INVERSE} (once; gradients in TensorFlow.js
 * belong to a kernel name, not to a backend): the backend's {@link AFFINE_COUPLING_INVERSE_GRADIENT}
 * kernel where it has one, else {@link referenceAffineCouplingInverseGradient}.
 */
function registerAffineCouplingGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: AFFINE_COUPLING_INVERSE,
    inputsToSave: ['y', 'rawScale', 'rawTranslation', 'inverseMask', 'scaleFactor'],
    gradFunc: (upstream, saved, attrs) => {
      const [dx, dl] = upstream as tf.Tensor[];
      const [y, rawScale, rawTranslation, inverseMask, scaleFactor] = saved;
      const tanh = Boolean(attrs?.tanh);
      const gradients = tf.getKernel(AFFINE_COUPLING_INVERSE_GRADIENT, tf.getBackend())
        ? runFlowsKernel(AFFINE_COUPLING_INVERSE_GRADIENT, { dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor }, { tanh })
        : referenceAffineCouplingInverseGradient(dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor, tanh);
      return {
        y: () => gradients[0],
        rawTranslation: () => gradients[1],
        rawScale: () => gradients[2],
        scaleFactor: () => gradients[3],
        inverseMask: () => tf.zerosLike(inverseMask),
      };
    },
  });
}
