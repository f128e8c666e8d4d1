import * as tf from '@tensorflow/tfjs-core';
import { tensorsReferenceTheirValues } from '@flows/kernels';
import type { AdamKernel } from './adam-simd-kernel.js';
import type { AdamStepSettings } from './adam-update.js';
import { clipScale, hostGradients } from './host-gradients.js';
import { HostMomentsUpdate } from './host-moments.js';

/**
 * The Adam update on the host by a small WebAssembly SIMD kernel whose memory holds the moments,
 * the gradients and the parameters: the fastest update on `cpu` and `wasm`, tested against
 * {@link HostLoopUpdate}.
 */
export class HostSimdUpdate extends HostMomentsUpdate {
  constructor(
    private readonly kernel: AdamKernel,
    total: number,
  ) {
    // The kernel's memory holds the moments: views, not copies.
    super(kernel.firstMoment.subarray(0, total), kernel.secondMoment.subarray(0, total));
  }

  apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void {
    const kernel = this.kernel;
    const grads = hostGradients(variables, gradients);
    const scale = clipScale(grads, settings.clipNorm);
    let at = 0;
    variables.forEach((variable, k) => {
      kernel.gradients.set(grads[k], at);
      kernel.parameters.set(variable.dataSync() as Float32Array, at);
      at += grads[k].length;
    });
    kernel.update(at, {
      beta1: settings.beta1,
      beta2: settings.beta2,
      stepSize: settings.learningRate / settings.correction1,
      inverseCorrection2: 1 / settings.correction2,
      epsilon: settings.epsilon,
      decay: 1 - settings.learningRate * settings.weightDecay,
      scale,
    });
    at = 0;
    // wasm copies new tensor data into its heap at once; the cpu backend keeps a reference, so
    // it gets its own copy of the kernel's buffer, which the next step overwrites.
    const copies = tensorsReferenceTheirValues();
    for (const variable of variables) {
      const view = kernel.parameters.subarray(at, at + variable.size);
      const values = copies ? view.slice() : view;
      at += variable.size;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }
}
