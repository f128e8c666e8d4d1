import * as tf from '@tensorflow/tfjs-core';
import { type Random, runtimeSettings } from '@flows/core';

/**
 * `x W + b` with its own gradient.
 *
 * Autodiff of `tf.matMul` asks the backend for transposed products (`dy Wᵀ`, `xᵀ dy`). On the
 * `wasm` backend those run far slower than a plain product (bench/results.md), so the gradient transposes
 * explicitly and then multiplies without transpose flags. The value is the same as
 * `tf.add(tf.matMul(x, W), b)` to float32 rounding.
 */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (runtimeSettings().denseGradients === 'autodiff') return tf.add(tf.matMul(x, weight), bias) as tf.Tensor2D;
  return denseLinear(x, weight, bias) as tf.Tensor2D;
}

/**
 * `relu(x W + b)` in one fused kernel, with its own gradient (explicit transposes, as
 * {@link dense}; the ReLU derivative is read off the output).
 */
export function denseRelu(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (runtimeSettings().denseGradients === 'autodiff') return tf.relu(tf.add(tf.matMul(x, weight), bias)) as tf.Tensor2D;
  return denseReluWithGradient(x, weight, bias) as tf.Tensor2D;
}

type DenseFunction = (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor;

/** The three gradients of `x W + b` given the gradient `dz` of its output. */
function linearGradients(dz: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor[] {
  // Transpose flags suit GPU and native kernels; the stock wasm ones want explicit transposes.
  const transposeFlags = runtimeSettings().denseGradients === 'transpose-flags';
  const dx = transposeFlags ? tf.matMul(dz, weight, false, true) : tf.matMul(dz, tf.transpose(weight));
  const dWeight = transposeFlags ? tf.matMul(x, dz, true, false) : tf.matMul(tf.transpose(x), dz);
  // A row of ones times dz: wasm reduces over axis 0 by transposing first, slower than this product.
  const dBias = tf.reshape(tf.matMul(tf.ones([1, dz.shape[0]]), dz), [dz.shape[1]]);
  return [dx, dWeight, dBias];
}

const denseLinear = tf.customGrad((...args: unknown[]) => {
  const [x, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, weight]);
  const value = tf.fused.matMul({ a: x, b: weight, bias });
  const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => linearGradients(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D);
  return { value, gradFunc };
}) as unknown as DenseFunction;

const denseReluWithGradient = tf.customGrad((...args: unknown[]) => {
  const [x, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  const value = tf.fused.matMul({ a: x, b: weight, bias, activation: 'relu' });
  save([x, weight, value]);
  const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const dz = tf.mul(dy as tf.Tensor2D, tf.step(saved[2])) as tf.Tensor2D;
    return linearGradients(dz, saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D);
  };
  return { value, gradFunc };
}) as unknown as DenseFunction;

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

/** A layered network's variables in the order they are saved: weight 0, bias 0, weight 1, bias 1, … */
export function layerVariables(weights: tf.Variable[], biases: tf.Variable[]): tf.Variable[] {
  return weights.flatMap((weight, i) => [weight, biases[i]]);
}
