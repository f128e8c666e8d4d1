import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { Distribution } from '@flows/distributions';

/** The one-hot rows of `labels` among `count` components: a conditional model's context. */
export function oneHotLabels(labels: Int32Array, count: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), count), 'float32') as tf.Tensor2D);
}

/**
 * `p(x) = Σ_k w_k p(x | k)`: a model conditioned on a component label (one-hot context),
 * marginalised over the labels with the mixture's weights `w`. The density picture of a
 * conditional toy run shows it, and its samples draw a label per sample with the weights, then x
 * given the label. A view for pictures over a trained model, not a model of its own: it saves
 * nothing (`toJSON` throws) and frees nothing of the model it views.
 */
export class LabelMarginal extends Distribution<Record<string, never>> {
  static override readonly className: string = 'LabelMarginal';
  readonly eventShape: readonly number[];

  constructor(
    readonly model: Distribution,
    readonly weights: readonly number[],
  ) {
    super();
    if (model.contextSize !== weights.length) {
      throw new RangeError(`LabelMarginal: the model takes a context of width ${model.contextSize}, but ${weights.length} weights were given`);
    }
    this.eventShape = model.eventShape;
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const n = x.shape[0];
    const count = this.weights.length;
    const terms = this.weights.map((w, k) => tf.add(this.model.uncheckedLogProb(x, tf.tile(oneHotLabels(Int32Array.of(k), count), [n, 1])), Math.log(w)));
    return tf.logSumExp(tf.stack(terms, 1), 1) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const count = this.weights.length;
    const labels = Int32Array.from({ length: n }, () => {
      let u = random.uniform();
      let k = 0;
      while (k < count - 1 && u >= this.weights[k]) u -= this.weights[k++];
      return k;
    });
    const context = oneHotLabels(labels, count);
    return this.model.sample(n, { random, temperature, context });
  }

  getConfig(): Record<string, never> {
    throw new Error('LabelMarginal: a view of a conditional model for pictures; save the model itself');
  }
}
