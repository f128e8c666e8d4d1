import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, newVariable, type Random } from '@flows/core';

/** The kernel size of a `same`-padded convolution network: odd, so that padding keeps H and W (default 3). */
export function checkedKernelSize(kernelSize: number | undefined, who: string): number {
  const k = kernelSize ?? 3;
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new ConfigError(`${who}: kernelSize must be odd, got ${k}`);
  return k;
}

/**
 * A k × k convolution's filter `[k, k, C_in, C_out]` and bias `[C_out]` as variables: Glorot-uniform
 * over the receptive field (fan-in k²·C_in, fan-out k²·C_out), or zero (`zero`, a network's last
 * layer, so that its coupling starts as the identity; then nothing is drawn from `random`). The
 * bias starts at zero.
 */
export function convolutionVariables(k: number, channelsIn: number, channelsOut: number, random: Random, zero = false): [tf.Variable, tf.Variable] {
  const size = k * k * channelsIn * channelsOut;
  const limit = Math.sqrt(6 / (k * k * (channelsIn + channelsOut)));
  const values = zero ? new Float32Array(size) : random.fillUniform(new Float32Array(size), -limit, limit);
  return [newVariable(() => tf.tensor4d(values, [k, k, channelsIn, channelsOut])), newVariable(() => tf.zeros([channelsOut]))];
}

/** Refuses input that is not images of the network's channels, `[N, H, W, channels]`, naming both shapes. */
export function checkImageInput(input: tf.Tensor, channels: number, who: string): void {
  if (input.rank !== 4 || input.shape[3] !== channels)
    throw new RangeError(`${who}: expected images [N, H, W, ${channels}], got a tensor of shape [${input.shape.join(', ')}]`);
}
