import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from './errors.js';

/**
 * Shape and stored dtype of one saved variable, in the order of `variables`. Variables are float32;
 * a file may store a tensor's values at half precision (`float16`, read back exactly as float32).
 */
export interface WeightSpec {
  shape: number[];
  dtype: 'float32' | 'float16';
}

/** All variables' values packed into one float32 buffer, with their specs. */
export async function packWeights(variables: readonly tf.Variable[]): Promise<{ specs: WeightSpec[]; data: Float32Array }> {
  const specs: WeightSpec[] = [];
  let total = 0;
  for (const v of variables) {
    if (v.dtype !== 'float32') throw new ConfigError(`packWeights: only float32 variables are supported, got ${v.dtype} for ${v.name}`);
    specs.push({ shape: [...v.shape], dtype: 'float32' });
    total += v.size;
  }
  const data = new Float32Array(total);
  let offset = 0;
  for (const v of variables) {
    data.set((await v.data()) as Float32Array, offset);
    offset += v.size;
  }
  return { specs, data };
}

/**
 * Assigns packed values to `variables` (same order as when packed). Checks the count and every
 * shape first, so a mismatched file changes nothing.
 */
export function assignWeights(variables: readonly tf.Variable[], specs: readonly WeightSpec[], data: Float32Array): void {
  if (specs.length !== variables.length) {
    throw new ConfigError(`weights: the model has ${variables.length} variables, the weights file has ${specs.length}`);
  }
  let total = 0;
  variables.forEach((v, i) => {
    const shape = specs[i].shape;
    if (shape.length !== v.shape.length || shape.some((d, k) => d !== v.shape[k])) {
      throw new ConfigError(`weights: variable ${i} has shape [${v.shape.join(', ')}], the weights file has [${shape.join(', ')}]`);
    }
    total += v.size;
  });
  if (data.length !== total) throw new ConfigError(`weights: expected ${total} float32 values, the weights file has ${data.length}`);
  let offset = 0;
  for (const v of variables) {
    const values = data.subarray(offset, offset + v.size);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
    offset += v.size;
  }
}

/**
 * A variable made from a freshly computed initial value, without leaking that value
 * (`tf.variable(t)` copies `t` and leaves it alive).
 */
export function newVariable(initial: () => tf.Tensor, trainable = true, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(initial(), trainable, name));
}
