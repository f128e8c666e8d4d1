import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { adamUpdate, hasFusedAdamUpdate, referenceAdamUpdate } from './adam-update.js';
import { flowsKernelConfig } from './flows-kernel-config.js';
import { ADAM_UPDATE, type AdamUpdateInputs } from './kernel-contract.js';

afterEach(() => {
  configureRuntime({ fusedKernels: true });
  if (tf.getKernel(ADAM_UPDATE, 'cpu')) tf.unregisterKernel(ADAM_UPDATE, 'cpu');
});

const step = { beta1: 0.9, beta2: 0.99, clipNorm: 1, stepSize: 0.1, inverseCorrection2: 2, epsilon: 1e-3, decay: 0.5 };

/** One Adam step of two variables, in plain JavaScript from the formulas. */
function expected(clipNorm: number) {
  const p = [1, 2, -1];
  const g = [3, 4, 0]; // norm 5
  const m = [0.1, -0.2, 0.3];
  const v = [0.01, 0.04, 0.09];
  const s = clipNorm > 0 ? Math.min(1, clipNorm / 5) : 1;
  const m1 = m.map((value, i) => 0.9 * value + 0.1 * s * g[i]);
  const v1 = v.map((value, i) => 0.99 * value + 0.01 * (s * g[i]) ** 2);
  const p1 = p.map((value, i) => value * 0.5 - (0.1 * m1[i]) / (Math.sqrt(v1[i] * 2) + 1e-3));
  return { m1, v1, p1 };
}

const operands = () => ({
  parameters: [tf.tensor2d([1, 2], [1, 2]), tf.tensor1d([-1])],
  gradients: [tf.tensor2d([3, 4], [1, 2]), tf.tensor1d([0])],
  m: tf.tensor1d([0.1, -0.2, 0.3]),
  v: tf.tensor1d([0.01, 0.04, 0.09]),
});

describe('adamUpdate', () => {
  it.each([0, 1])('updates both moments and every variable as the formulas say, with the global clip norm %d (the reference composition)', (clipNorm) => {
    const { parameters, gradients, m, v } = operands();
    const { m1, v1, p1 } = expected(clipNorm);
    for (const update of [adamUpdate, referenceAdamUpdate]) {
      const result = update(parameters, gradients, m, v, { ...step, clipNorm });
      Array.from(result.firstMoment.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(m1[i], 6));
      Array.from(result.secondMoment.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(v1[i], 6));
      expect(result.parameters.map((p) => p.shape)).toEqual([[1, 2], [1]]);
      [...result.parameters[0].dataSync(), ...result.parameters[1].dataSync()].forEach((value, i) => expect(value).toBeCloseTo(p1[i], 5));
      tf.dispose([result.firstMoment, result.secondMoment, ...result.parameters]);
    }
    tf.dispose([...parameters, ...gradients, m, v]);
  });

  it('runs a backend’s fused kernel where it registers one, with the inputs and attributes of the contract, unless fused kernels are off', () => {
    let calls = 0;
    tf.registerKernel(
      flowsKernelConfig(ADAM_UPDATE, 'cpu', ({ inputs, attrs }) => {
        calls++;
        // The cpu engine hands a kernel the very tensors runKernel was given, which the reference's stock operations take.
        const given = inputs as AdamUpdateInputs<tf.Tensor>;
        const names = Array.from({ length: attrs.count }, (_, i) => i);
        const { count, ...numbers } = attrs;
        const result = referenceAdamUpdate(
          names.map((i) => given[`parameter${i}`]),
          names.map((i) => given[`gradient${i}`]),
          given.firstMoment as tf.Tensor1D,
          given.secondMoment as tf.Tensor1D,
          numbers,
        );
        const info = (t: tf.Tensor): tf.TensorInfo => {
          tf.keep(t);
          return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
        };
        return [info(result.firstMoment), info(result.secondMoment), ...result.parameters.map(info)];
      }),
    );
    expect(hasFusedAdamUpdate()).toBe(true);
    const { parameters, gradients, m, v } = operands();
    const { p1 } = expected(1);
    const result = adamUpdate(parameters, gradients, m, v, step);
    expect(calls).toBe(1);
    [...result.parameters[0].dataSync(), ...result.parameters[1].dataSync()].forEach((value, i) => expect(value).toBeCloseTo(p1[i], 5));
    configureRuntime({ fusedKernels: false });
    expect(hasFusedAdamUpdate()).toBe(false);
    const unfused = adamUpdate(parameters, gradients, m, v, step);
    expect(calls).toBe(1);
    tf.dispose([result.firstMoment, result.secondMoment, ...result.parameters, unfused.firstMoment, unfused.secondMoment, ...unfused.parameters]);
    tf.dispose([...parameters, ...gradients, m, v]);
  });

  it('refuses gradients that do not match the parameters', () => {
    const { parameters, gradients, m, v } = operands();
    expect(() => adamUpdate(parameters, gradients.slice(1), m, v, step)).toThrow(/2 parameters but 1 gradients/);
    tf.dispose([...parameters, ...gradients, m, v]);
  });
});
