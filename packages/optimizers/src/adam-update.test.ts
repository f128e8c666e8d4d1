import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateInputs, flowsKernelConfig, referenceAdamUpdate } from '@flows/kernels';
import { describe, expect, it } from 'vitest';
import { createAdamKernel } from './adam-simd-kernel.js';
import type { AdamUpdate } from './adam-update.js';
import { DeviceKernelUpdate } from './device-kernel-update.js';
import { DeviceTensorUpdate } from './device-tensor-update.js';
import { HostLoopUpdate } from './host-loop-update.js';
import { HostSimdUpdate } from './host-simd-update.js';

/** Ten clipped, decayed Adam steps with one strategy; returns the parameters and moments after them. */
function run(makeUpdate: (sizes: number[], total: number) => AdamUpdate): number[][] {
  const variables = [tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 1)), tf.variable(tf.randomNormal([3], 0, 1, 'float32', 2))];
  const sizes = variables.map((v) => v.size);
  const update = makeUpdate(sizes, 15);
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let t = 1; t <= 10; t++) {
    const gradients = Object.fromEntries(variables.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, 3, 'float32', 10 * t + i)]));
    update.apply(variables, gradients, {
      learningRate: 0.05,
      beta1,
      beta2,
      epsilon: 1e-7,
      weightDecay: 0.1,
      clipNorm: 2,
      correction1: 1 - beta1 ** t,
      correction2: 1 - beta2 ** t,
    });
    tf.dispose(Object.values(gradients));
  }
  const [first, second] = update.momentsSync();
  const result = [...variables.map((v) => Array.from(v.dataSync())), Array.from(first), Array.from(second)];
  update.dispose();
  tf.dispose(variables);
  return result;
}

describe('Adam update strategies', () => {
  it('the SIMD kernel, the stock tensor kernels and the kernels package’s operations compute the plain JavaScript loop update (clipping and decay included)', () => {
    const reference = run((_, total) => new HostLoopUpdate(total));
    const kernel = createAdamKernel(15);
    expect(kernel, 'WebAssembly SIMD is available in Node').not.toBeNull();
    const candidates = {
      simd: run((_, total) => new HostSimdUpdate(kernel!, total)),
      tensors: run((sizes, total) => new DeviceTensorUpdate(sizes, total)),
      // On cpu the Adam operations of @flows/kernels run their reference compositions.
      operations: run((sizes, total) => new DeviceKernelUpdate(sizes, total)),
    };
    for (const [name, values] of Object.entries(candidates)) {
      values.forEach((row, i) =>
        row.forEach((value, j) => expect(Math.abs(value - reference[i][j]), `${name}: array ${i}, entry ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(value)))),
      );
    }
  });

  it('the kernels package’s operations run the whole-step kernel where the backend registers one: one call per step, the loop’s update', () => {
    let calls = 0;
    // A stand-in for a backend's kernel (the native loop on wasm), from the reference's stock operations.
    tf.registerKernel(
      flowsKernelConfig(ADAM_UPDATE, 'cpu', ({ inputs, attrs }) => {
        calls++;
        // The cpu engine hands a kernel the very tensors runKernel was given.
        const given = inputs as AdamUpdateInputs<tf.Tensor>;
        const { count, ...step } = attrs;
        const indices = Array.from({ length: count }, (_, i) => i);
        const result = referenceAdamUpdate(
          indices.map((i) => given[`parameter${i}`]),
          indices.map((i) => given[`gradient${i}`]),
          given.firstMoment as tf.Tensor1D,
          given.secondMoment as tf.Tensor1D,
          step,
        );
        const info = (t: tf.Tensor): tf.TensorInfo => {
          tf.keep(t);
          return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
        };
        return [info(result.firstMoment), info(result.secondMoment), ...result.parameters.map(info)];
      }),
    );
    try {
      const reference = run((_, total) => new HostLoopUpdate(total));
      const whole = run((sizes, total) => new DeviceKernelUpdate(sizes, total));
      expect(calls).toBe(10);
      whole.forEach((row, i) =>
        row.forEach((value, j) => expect(Math.abs(value - reference[i][j]), `array ${i}, entry ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(value)))),
      );
    } finally {
      tf.unregisterKernel(ADAM_UPDATE, 'cpu');
    }
  });
});
