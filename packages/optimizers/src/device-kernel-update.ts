import * as tf from '@tensorflow/tfjs-core';
import { adamMoment, adamParameter, adamUpdate, hasFusedAdamUpdate } from '@flows/kernels';
import type { AdamStepSettings } from './adam-update.js';
import { DeviceTensorUpdate } from './device-tensor-update.js';

/**
 * The device update as the Adam operations of `@flows/kernels`: where the backend registers the
 * whole-step kernel (`adamUpdate`: the native loop of `@flows/native-kernels` on `wasm`), one call that
 * reads each gradient where it lies and each moment and parameter once; else one call per moment
 * over the flat buffers (the clip factor computed from the gradient's sum of squares), then one per
 * variable. Where the backend registers the fused kernels (the `webgpu` backend's WGSL programs,
 * the native loops on `wasm`) each call is one dispatch, instead of the dozen kernels plus two per
 * variable of {@link DeviceTensorUpdate}, against which it is tested.
 */
export class DeviceKernelUpdate extends DeviceTensorUpdate {
  override apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void {
    const { beta1, beta2, clipNorm, learningRate } = settings;
    const common = {
      stepSize: learningRate / settings.correction1,
      inverseCorrection2: 1 / settings.correction2,
      epsilon: settings.epsilon,
      decay: 1 - learningRate * settings.weightDecay,
    };
    if (hasFusedAdamUpdate()) {
      tf.tidy(() => {
        const grads = variables.map((variable) => gradients[variable.name] ?? tf.zerosLike(variable));
        const moments = [this.firstMoment, this.secondMoment] as tf.Tensor[] as tf.Tensor1D[];
        const updated = adamUpdate(variables, grads, moments[0], moments[1], { beta1, beta2, clipNorm: clipNorm ?? 0, ...common });
        this.firstMoment.assign(updated.firstMoment);
        this.secondMoment.assign(updated.secondMoment);
        variables.forEach((variable, i) => variable.assign(updated.parameters[i]));
      });
      return;
    }
    tf.tidy(() => {
      const g = this.flatGradient(variables, gradients);
      const squares = (clipNorm !== undefined ? tf.reshape(tf.sum(tf.square(g)), [1]) : tf.zeros([1])) as tf.Tensor1D;
      const m = adamMoment(this.firstMoment as tf.Tensor1D, g, squares, 'first', beta1, clipNorm ?? 0);
      const v = adamMoment(this.secondMoment as tf.Tensor1D, g, squares, 'second', beta2, clipNorm ?? 0);
      this.firstMoment.assign(m);
      this.secondMoment.assign(v);
      let offset = 0;
      variables.forEach((variable, i) => {
        variable.assign(adamParameter(variable, m, v, { offset, ...common }));
        offset += this.sizes[i];
      });
    });
  }
}
