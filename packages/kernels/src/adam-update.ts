import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { adamMoment, adamParameter, referenceAdamMoment, referenceAdamParameter } from './adam-step.js';
import { ADAM_UPDATE, type AdamParameterStep, type AdamUpdateInputs } from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/** The numbers of one whole Adam update: the βs, the global clip norm (0: none) and the step's numbers. */
export type AdamUpdateStep = { beta1: number; beta2: number; clipNorm: number } & Omit<AdamParameterStep, 'offset'>;

/** What {@link adamUpdate} returns: the new flat moments and each variable's new values. */
export interface AdamUpdateResult {
  firstMoment: tf.Tensor1D;
  secondMoment: tf.Tensor1D;
  parameters: tf.Tensor[];
}

/** Whether the active backend runs {@link adamUpdate} as one fused kernel (`wasm` with `@flows/native-kernels`). */
export function hasFusedAdamUpdate(): boolean {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  return runtimeSettings().fusedKernels && tf.getKernel(ADAM_UPDATE, backend) !== undefined;
}

/**
 * One whole Adam step (Kingma and Ba, ICLR 2015) over variables whose moments are two flat buffers
 * in the variables' order: both moments from the gradients (clipped to the global norm `clipNorm`
 * when it is above 0), then every variable's new values, with the formulas of `adamMoment` and
 * `adamParameter`. Where the backend registers {@link ADAM_UPDATE} (`wasm` with
 * `@flows/native-kernels`: one threaded pass, each gradient read where it lies, each value read and
 * written once) that kernel runs; elsewhere the two moments and one update per variable, as
 * `adamMoment` and `adamParameter` (fused where the backend has their kernels). Nothing given is disposed.
 */
export function adamUpdate(
  parameters: readonly tf.Tensor[],
  gradients: readonly tf.Tensor[],
  firstMoment: tf.Tensor1D,
  secondMoment: tf.Tensor1D,
  step: AdamUpdateStep,
): AdamUpdateResult {
  if (gradients.length !== parameters.length) throw new RangeError(`adamUpdate: ${parameters.length} parameters but ${gradients.length} gradients`);
  if (hasFusedAdamUpdate()) {
    const inputs: AdamUpdateInputs<tf.Tensor> = { firstMoment, secondMoment };
    parameters.forEach((parameter, i) => {
      inputs[`parameter${i}`] = parameter;
      inputs[`gradient${i}`] = gradients[i];
    });
    const [m, v, ...updated] = runFlowsKernel(ADAM_UPDATE, inputs, { count: parameters.length, ...step });
    return { firstMoment: m as tf.Tensor1D, secondMoment: v as tf.Tensor1D, parameters: updated };
  }
  return composedUpdate(parameters, gradients, firstMoment, secondMoment, step, adamMoment, adamParameter);
}

/** The stock-op composition of {@link adamUpdate}: the reference the fused kernel is tested against. */
export function referenceAdamUpdate(
  parameters: readonly tf.Tensor[],
  gradients: readonly tf.Tensor[],
  firstMoment: tf.Tensor1D,
  secondMoment: tf.Tensor1D,
  step: AdamUpdateStep,
): AdamUpdateResult {
  return composedUpdate(parameters, gradients, firstMoment, secondMoment, step, referenceAdamMoment, referenceAdamParameter);
}

function composedUpdate(
  parameters: readonly tf.Tensor[],
  gradients: readonly tf.Tensor[],
  firstMoment: tf.Tensor1D,
  secondMoment: tf.Tensor1D,
  step: AdamUpdateStep,
  moment: typeof adamMoment,
  parameter: typeof adamParameter,
): AdamUpdateResult {
  const { beta1, beta2, clipNorm, ...rest } = step;
  const [m, v, updated] = tf.tidy(() => {
    const g = tf.concat(gradients.map((gradient) => tf.reshape(gradient, [-1]))) as tf.Tensor1D;
    const squares = (clipNorm > 0 ? tf.reshape(tf.sum(tf.square(g)), [1]) : tf.zeros([1])) as tf.Tensor1D;
    const m = moment(firstMoment, g, squares, 'first', beta1, clipNorm);
    const v = moment(secondMoment, g, squares, 'second', beta2, clipNorm);
    let offset = 0;
    const updated = parameters.map((p) => {
      const next = parameter(p, m, v, { ...rest, offset });
      offset += p.size;
      return next;
    });
    return [m, v, updated] as const;
  });
  return { firstMoment: m, secondMoment: v, parameters: updated };
}
