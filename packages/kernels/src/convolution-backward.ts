import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { referenceConvolutionFilterGradient } from './convolution-filter-gradient.js';
import { CONV2D_BACKWARD } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/** The activations a convolution layer of {@link convolutionBackward} may end in. */
export type ConvolutionActivation = 'linear' | 'relu';

/**
 * The whole gradient of a convolution layer `z = a(conv(x, W, stride 1, 'same') + b)` with an odd
 * k × k filter W `[k, k, C_in, C_out]` and a = ReLU or the identity, from the gradient dz of its
 * output z: with g = dz ⊙ a′(z) (`[z > 0]` for ReLU, 1 for a linear layer),
 *
 * - `dx = conv(g, W')`, W' the filter rotated by 180° with its input and output channels swapped;
 * - `dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] · g[n, h, w, o]` (x padded by (k − 1)/2);
 * - `db = Σ_{n,h,w} g[n, h, w, :]`.
 *
 * Returns `[dx, dW, db]`. Where the active backend has a kernel registered under
 * {@link CONV2D_BACKWARD} (`wasm` with `@flows/native-kernels`: ReLU's derivative, the bias gradient,
 * the input gradient and the filter gradient in one native call, on its direct convolutions) and
 * `runtimeSettings().fusedKernels` is on, that kernel runs; everywhere else the composition below,
 * which is the reference every registered kernel is tested against.
 */
export function convolutionBackward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  dz: tf.Tensor4D,
  output: tf.Tensor4D,
  activation: ConvolutionActivation,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D] {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  if (runtimeSettings().fusedKernels && tf.getKernel(CONV2D_BACKWARD, backend) && [x, filter, dz, output].every((t) => t.dtype === 'float32')) {
    const [dx, dFilter, dBias] = runFlowsKernel(CONV2D_BACKWARD, { x, filter, dz, output: activation === 'relu' ? output : dz }, { activation });
    return [dx as tf.Tensor4D, dFilter as tf.Tensor4D, dBias as tf.Tensor1D];
  }
  return referenceConvolutionBackward(x, filter, dz, output, activation);
}

/**
 * The stock-op composition of {@link convolutionBackward}, made of forward convolutions only (the
 * kernel every backend makes fast; the `wasm` backend's own input gradient is naive and it has no
 * filter gradient): the input gradient as a convolution with the rotated filter, the filter
 * gradient as {@link referenceConvolutionFilterGradient}, the bias gradient as a row of ones times
 * g (wasm reduces over leading axes by transposing first, slower than this product).
 */
export function referenceConvolutionBackward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  dz: tf.Tensor4D,
  output: tf.Tensor4D,
  activation: ConvolutionActivation,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D] {
  const k = filter.shape[0];
  if (!(Number.isInteger(k) && k % 2 === 1 && filter.shape[1] === k))
    throw new RangeError(`convolutionBackward: the filter must be square and odd, got [${filter.shape}]`);
  return tf.tidy(() => {
    const g = activation === 'relu' ? (tf.mul(dz, tf.step(output)) as tf.Tensor4D) : dz;
    const dx = tf.conv2d(g, tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same');
    const dFilter = referenceConvolutionFilterGradient(x, g, k);
    const [n, h, w, cout] = g.shape;
    const dBias = tf.reshape(tf.matMul(tf.ones([1, n * h * w]), tf.reshape(g, [n * h * w, cout])), [cout]) as tf.Tensor1D;
    return [dx, dFilter, dBias];
  });
}
