import type * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError, ConfigError, type Random, type Serialized } from '@flows/core';
import { Distribution, distributionFromJSON } from '@flows/distributions';
import { conditionerFromJSON, conditionerToJSON, type VectorConditioner } from '@flows/networks';

/** What an {@link EmbeddedContext} saves: the distribution and the embedding network. */
export type EmbeddedContextConfig = { distribution: Serialized; embedding: Serialized };

/**
 * A conditional distribution whose context first goes through a network, as nflows' `Flow` does
 * with its `embedding_net`: `p(x | c) = q(x | e(c))`, both for densities and for sampling. The
 * embedding is trained with the flow in nflows; here it is one more conditioner whose weights
 * are saved with the model.
 */
export class EmbeddedContext extends Distribution<EmbeddedContextConfig> {
  static override readonly className: string = 'EmbeddedContext';
  readonly eventShape: readonly number[];

  constructor(
    readonly distribution: Distribution,
    readonly embedding: VectorConditioner,
  ) {
    super();
    if (!(distribution instanceof Distribution)) throw new BijectorInputError('EmbeddedContext: distribution must be a Distribution');
    if (!embedding || typeof embedding.apply !== 'function' || embedding.acceptsImages)
      throw new BijectorInputError('EmbeddedContext: embedding must be a vector conditioner');
    if (distribution.contextSize !== embedding.outputSize) {
      throw new BijectorInputError(
        `EmbeddedContext: the embedding gives ${embedding.outputSize} values but the distribution takes a context of ${distribution.contextSize}`,
      );
    }
    this.eventShape = distribution.eventShape;
  }

  override get contextSize(): number {
    return this.embedding.inputSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.embedding.trainableVariables, ...this.distribution.trainableVariables];
  }

  override get variables(): tf.Variable[] {
    return [...this.embedding.trainableVariables, ...this.distribution.variables];
  }

  private embed(context: tf.Tensor | undefined): tf.Tensor2D {
    if (!context) throw new BijectorInputError(`EmbeddedContext: a context of width ${this.contextSize} is required (one row per event)`);
    return this.embedding.apply(context as tf.Tensor2D);
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    return this.distribution.uncheckedLogProb(x, this.embed(context));
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    return this.distribution.sample(n, { random, temperature, context: this.embed(context) });
  }

  getConfig(): EmbeddedContextConfig {
    return { distribution: this.distribution.toJSON(), embedding: conditionerToJSON(this.embedding) };
  }

  static fromConfig(config: EmbeddedContextConfig): EmbeddedContext {
    const embedding = conditionerFromJSON(config.embedding);
    if (embedding.acceptsImages) throw new ConfigError('EmbeddedContext: the embedding must be a vector conditioner');
    return new EmbeddedContext(distributionFromJSON(config.distribution), embedding);
  }

  override dispose(): void {
    this.embedding.dispose();
    this.distribution.dispose();
  }
}
