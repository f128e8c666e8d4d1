import type * as tf from '@tensorflow/tfjs-core';
import type { AdamStepSettings, AdamUpdate } from './adam-update.js';

/** What the host strategies share: the moments as two flat arrays in main memory, read and set without a copy. */
export abstract class HostMomentsUpdate implements AdamUpdate {
  readonly placement = 'host';

  constructor(
    protected readonly firstMoment: Float32Array,
    protected readonly secondMoment: Float32Array,
  ) {}

  abstract apply(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, settings: AdamStepSettings): void;

  momentsSync(): [Float32Array, Float32Array] {
    return [this.firstMoment, this.secondMoment];
  }

  async readMoments(): Promise<[Float32Array, Float32Array]> {
    return this.momentsSync();
  }

  setMoments(first: Float32Array, second: Float32Array): void {
    this.firstMoment.set(first);
    this.secondMoment.set(second);
  }

  dispose(): void {}
}
