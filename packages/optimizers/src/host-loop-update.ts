import * as tf from '@tensorflow/tfjs-core';
import type { AdamStepSettings } from './adam-update.js';
import { clipScale, hostGradients } from './host-gradients.js';
import { HostMomentsUpdate } from './host-moments.js';

/**
 * The Adam update as a plain JavaScript loop over the values, for backends whose tensors live in
 * main memory (`cpu`, `wasm`) when WebAssembly SIMD is not available: one loop over all parameters
 * beats hundreds of small kernels there.
 */
export class HostLoopUpdate extends HostMomentsUpdate {
  constructor(total: number) {
    super(new Float32Array(total), new Float32Array(total));
  }

  apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void {
    const m = this.firstMoment;
    const v = this.secondMoment;
    const grads = hostGradients(variables, gradients);
    const scale = clipScale(grads, settings.clipNorm);
    const { beta1, beta2, epsilon } = settings;
    const decay = 1 - settings.learningRate * settings.weightDecay;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const stepSize = settings.learningRate / settings.correction1;
    const inverseCorrection2 = 1 / settings.correction2;
    let offset = 0;
    variables.forEach((variable, k) => {
      const g = grads[k];
      const values = Float32Array.from(variable.dataSync() as Float32Array);
      for (let i = 0, j = offset; i < g.length; i++, j++) {
        const gi = g[i] * scale;
        const mj = beta1 * m[j] + oneMinusBeta1 * gi;
        const vj = beta2 * v[j] + oneMinusBeta2 * gi * gi;
        m[j] = mj;
        v[j] = vj;
        values[i] = values[i] * decay - (stepSize * mj) / (Math.sqrt(vj * inverseCorrection2) + epsilon);
      }
      offset += g.length;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    });
  }
}
