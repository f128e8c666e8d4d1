import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { CONV2D_FILTER_GRADIENT } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/**
 * The filter gradient of a stride-1 `'same'` convolution `z = conv(x, W)` with an odd k × k filter,
 * from the gradient dz of its output:
 *
 * `dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] · dz[n, h, w, o]`, x_pad being x padded by
 * (k − 1)/2 on each side; shape `[k, k, C_in, C_out]`.
 *
 * Where the active backend has a kernel registered under {@link CONV2D_FILTER_GRADIENT} (`wasm`
 * with `@flows/native-kernels`: the forward pass's patches times dz, one OpenBLAS product per block of
 * pixels) and `runtimeSettings().fusedKernels` is on, that kernel runs; everywhere else the
 * composition below, which is the reference every
 * registered kernel is tested against. Callers never ask which backend runs.
 */
export function convolutionFilterGradient(x: tf.Tensor4D, dz: tf.Tensor4D, kernelSize: number): tf.Tensor4D {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  if (runtimeSettings().fusedKernels && tf.getKernel(CONV2D_FILTER_GRADIENT, backend) && x.dtype === 'float32' && dz.dtype === 'float32') {
    return runFlowsKernel(CONV2D_FILTER_GRADIENT, { x, dz }, { kernelSize }) as tf.Tensor4D;
  }
  return referenceConvolutionFilterGradient(x, dz, kernelSize);
}

/**
 * The stock-op composition of {@link convolutionFilterGradient}, made of one forward convolution
 * (the kernel every backend makes fast; the `wasm` backend has no `Conv2DBackpropFilter`): a
 * `'valid'` convolution of x_pad with batch and channels swapped (the input channels become the
 * batch) by dz as the filter.
 */
export function referenceConvolutionFilterGradient(x: tf.Tensor4D, dz: tf.Tensor4D, kernelSize: number): tf.Tensor4D {
  if (!(Number.isInteger(kernelSize) && kernelSize % 2 === 1))
    throw new RangeError(`convolutionFilterGradient: the filter size must be odd, got ${kernelSize}`);
  const p = (kernelSize - 1) / 2;
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ]);
    return tf.transpose(
      tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid'),
      [1, 2, 0, 3],
    ) as tf.Tensor4D;
  });
}
