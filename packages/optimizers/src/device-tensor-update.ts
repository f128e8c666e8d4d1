import * as tf from '@tensorflow/tfjs-core';
import { canReadSynchronously, newVariable } from '@flows/core';
import type { AdamStepSettings, AdamUpdate } from './adam-update.js';

/**
 * The Adam update composed of stock tensor kernels, for GPU backends: the moments are two flat
 * variables and the gradients are concatenated into one flat tensor, so the update costs about a
 * dozen kernels plus two per variable instead of a dozen per variable (on small models the
 * optimizer's kernel count, not its arithmetic, sets the pace).
 */
export class DeviceTensorUpdate implements AdamUpdate {
  readonly placement: 'host' | 'device' = 'device';
  protected readonly firstMoment: tf.Variable;
  protected readonly secondMoment: tf.Variable;

  constructor(
    protected readonly sizes: readonly number[],
    total: number,
  ) {
    this.firstMoment = newVariable(() => tf.zeros([total]), false);
    this.secondMoment = newVariable(() => tf.zeros([total]), false);
  }

  /** All gradients as one flat tensor, in the order of the variables (zeros for a variable without one). */
  protected flatGradient(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap): tf.Tensor1D {
    return tf.concat(variables.map((v) => tf.reshape(gradients[v.name] ?? tf.zerosLike(v), [-1]))) as tf.Tensor1D;
  }

  apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void {
    const { beta1, beta2, epsilon, learningRate, weightDecay, clipNorm } = settings;
    tf.tidy(() => {
      let g: tf.Tensor = this.flatGradient(variables, gradients);
      if (clipNorm !== undefined) {
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        g = tf.mul(g, tf.minimum(1, tf.div(clipNorm, tf.maximum(norm, 1e-12))));
      }
      const m = tf.add(tf.mul(this.firstMoment, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.secondMoment, beta2), tf.mul(tf.square(g), 1 - beta2));
      this.firstMoment.assign(m);
      this.secondMoment.assign(v);
      const step = tf.mul(tf.div(tf.div(m, settings.correction1), tf.add(tf.sqrt(tf.div(v, settings.correction2)), epsilon)), learningRate);
      // Slices, not tf.split: wasm's SplitV copies slowly (tens of ms for a few hundred pieces).
      let offset = 0;
      variables.forEach((variable, i) => {
        const piece = tf.reshape(tf.slice(step, [offset], [this.sizes[i]]), variable.shape);
        offset += this.sizes[i];
        const decayed = weightDecay > 0 ? tf.mul(variable, 1 - learningRate * weightDecay) : variable;
        variable.assign(tf.sub(decayed, piece));
      });
    });
  }

  momentsSync(): [Float32Array, Float32Array] {
    if (!canReadSynchronously()) {
      throw new Error(`Adam.getState: the ${tf.getBackend()} backend cannot read tensors synchronously here; use await adam.readState()`);
    }
    return [this.firstMoment.dataSync() as Float32Array, this.secondMoment.dataSync() as Float32Array];
  }

  async readMoments(): Promise<[Float32Array, Float32Array]> {
    const [first, second] = await Promise.all([this.firstMoment.data() as Promise<Float32Array>, this.secondMoment.data() as Promise<Float32Array>]);
    return [first, second];
  }

  setMoments(first: Float32Array, second: Float32Array): void {
    tf.tidy(() => {
      this.firstMoment.assign(tf.tensor1d(first));
      this.secondMoment.assign(tf.tensor1d(second));
    });
  }

  dispose(): void {
    tf.dispose([this.firstMoment, this.secondMoment]);
  }
}
