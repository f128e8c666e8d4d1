import type * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, Module, type Serialized } from '@flows/core';
import { type Transformer, transformerFromJSON, transformerToJSON } from '@flows/bijectors';

/** What an {@link InvertedTransformer} saves: the transformer it inverts. */
export type InvertedTransformerConfig = { transformer: Serialized };

/**
 * A transformer with its two directions swapped: `forward` is the inner one's `inverse` and the
 * other way round. For couplings: `TransformerCoupling` runs its transformer's inverse in the
 * density direction, so a transformer whose inverse is a root search (UMNN, sum of squares,
 * Bernstein, DSF) trains fastest inverted, with its closed-form direction where training runs
 * (MAF needs no inversion: it runs the forward for densities). The family of maps is the same.
 */
export class InvertedTransformer extends Module<InvertedTransformerConfig> implements Transformer {
  static override readonly className: string = 'InvertedTransformer';
  readonly parameterCount: number;

  constructor(readonly transformer: Transformer) {
    super();
    if (typeof transformer?.forward !== 'function' || typeof transformer.inverse !== 'function')
      throw new TypeError('InvertedTransformer: give the transformer to invert, e.g. new InvertedTransformer(new UMNNTransformer())');
    this.parameterCount = transformer.parameterCount;
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    return this.transformer.inverse(u, parameters);
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    return this.transformer.forward(v, parameters);
  }

  getConfig(): InvertedTransformerConfig {
    return { transformer: transformerToJSON(this.transformer) };
  }

  static fromConfig(config: InvertedTransformerConfig): InvertedTransformer {
    assertKnownOptions(config, ['transformer'], 'InvertedTransformer');
    return new InvertedTransformer(transformerFromJSON(config.transformer));
  }
}
