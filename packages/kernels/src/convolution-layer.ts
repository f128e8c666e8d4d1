import * as tf from '@tensorflow/tfjs-core';
import { type ConvolutionActivation, convolutionBackward } from './convolution-backward.js';

type Layer = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

/**
 * The forward pass as one `FusedConv2D` kernel. `tf.fused.conv2d` splits a ReLU layer into a
 * convolution, an `Add` and a `Relu` whenever a gradient is being recorded (it cannot know that the
 * gradient is this layer's own); inside `customGrad` nothing is recorded, so the fused kernel serves.
 */
const fusedForward = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: ConvolutionActivation): tf.Tensor4D =>
  tf.engine().runKernel(
    'FusedConv2D',
    { x, filter, bias },
    {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NHWC',
      dilations: [1, 1],
      activation,
    },
  ) as tf.Tensor4D;

const layers: Record<ConvolutionActivation, Layer> = {
  linear: tf.customGrad((...args: unknown[]) => {
    const [x, filter, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    save([x, filter]);
    const value = fusedForward(x, filter, bias, 'linear');
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        convolutionBackward(saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, dy as tf.Tensor4D, dy as tf.Tensor4D, 'linear'),
    };
  }) as unknown as Layer,
  relu: tf.customGrad((...args: unknown[]) => {
    const [x, filter, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const value = fusedForward(x, filter, bias, 'relu');
    save([x, filter, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        convolutionBackward(saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, dy as tf.Tensor4D, saved[2] as tf.Tensor4D, 'relu'),
    };
  }) as unknown as Layer,
};

/**
 * A convolution layer `a(conv(x, W, stride 1, 'same') + b)` with an odd k × k filter W
 * `[k, k, C_in, C_out]`, bias b `[C_out]` and a = ReLU or the identity: `[N, H, W, C_in] →
 * [N, H, W, C_out]`, on every backend.
 *
 * Forward: one `FusedConv2D` kernel (ReLU included). Gradient: {@link convolutionBackward}, one
 * fused kernel where the backend registers it (`wasm` with `@flows/native-kernels`), else forward
 * convolutions only (the `wasm` backend has no filter-gradient kernel for `conv2d`, and a slow
 * input-gradient one), so `tf.grad` of a network of these works on every backend.
 */
export function convolutionLayer(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: ConvolutionActivation): tf.Tensor4D {
  return layers[activation](x, filter, bias);
}
