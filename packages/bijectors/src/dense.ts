import * as tf from '@tensorflow/tfjs';
import { Random } from './random.js';

/**
 * `x W + b` with its own gradient.
 *
 * Autodiff of `tf.matMul` asks the backend for transposed products (`dy Wᵀ`, `xᵀ dy`). On the
 * `wasm` backend those run 20-40 times slower than a plain product, so the gradient transposes
 * explicitly and then multiplies without transpose flags. The value is the same as
 * `tf.add(tf.matMul(x, W), b)` to float32 rounding.
 */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return denseWithGradient(x, weight, bias) as tf.Tensor2D;
}

const denseWithGradient = tf.customGrad((...args: unknown[]) => {
  const [x, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, weight]);
  const value = tf.add(tf.matMul(x, weight), bias) as tf.Tensor2D;
  const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const upstream = dy as tf.Tensor2D;
    const [savedX, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dx = tf.matMul(upstream, tf.transpose(savedWeight));
    const dWeight = tf.matMul(tf.transpose(savedX), upstream);
    // A row of ones times dy: wasm reduces over axis 0 by transposing first, slower than this product.
    const dBias = tf.reshape(tf.matMul(tf.ones([1, upstream.shape[0]]), upstream), [upstream.shape[1]]);
    return [dx, dWeight, dBias];
  };
  return { value, gradFunc };
}) as unknown as (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor;

export type Activation = 'relu' | 'tanh' | 'elu' | 'leakyRelu' | 'sigmoid' | 'softplus' | 'linear' | 'swish';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'elu', 'leakyRelu', 'sigmoid', 'softplus', 'linear', 'swish'];

export function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.01);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'linear':
      return x;
    default:
      throw new Error(`unknown activation '${String(activation)}'; expected one of ${ACTIVATIONS.join(', ')}`);
  }
}

/** Glorot-uniform initial weights from the project's seeded generator. */
export function glorotUniform(fanIn: number, fanOut: number, random: Random): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return random.fillUniform(new Float32Array(fanIn * fanOut), -limit, limit);
}
