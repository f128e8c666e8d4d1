import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@flows/core';
import type { Transformer } from './transformer.js';

/**
 * `g(u) = u + m` with θ = (m): the shift-only transformer of NICE (Dinh, Krueger and Bengio 2015),
 * volume-preserving (`log g' = 0`); `g⁻¹(v) = v − m`. Couplings have their own class for it
 * (`AdditiveCoupling`); this is the same map for autoregressive layers and for any builder
 * that takes a transformer.
 */
export class AdditiveTransformer extends Module<Record<string, never>> implements Transformer {
  static override readonly className: string = 'AdditiveTransformer';
  readonly parameterCount = 1;

  private shift(parameters: tf.Tensor3D): tf.Tensor2D {
    const [n, d] = parameters.shape;
    return tf.reshape(parameters, [n, d]);
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    return [tf.add(u, this.shift(parameters)), tf.zerosLike(u)];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    return [tf.sub(v, this.shift(parameters)), tf.zerosLike(v)];
  }

  getConfig(): Record<string, never> {
    return {};
  }

  static fromConfig(): AdditiveTransformer {
    return new AdditiveTransformer();
  }
}
