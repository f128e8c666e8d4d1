import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, type Random, type Serialized } from '@flows/core';
import { ConditionalDistribution } from './conditional-distribution.js';
import { Distribution } from './distribution.js';
import { distributionFromJSON } from './distribution-registry.js';

/** Options of {@link FactorOutDistribution}. */
export interface FactorOutDistributionOptions {
  /** The distribution of the first k coordinates (for a multi-scale flow, the next level: a flow itself). */
  kept: Distribution;
  /** The conditional distribution of the other D − k coordinates given the first k (context width k). */
  factored: ConditionalDistribution;
}

/** What a {@link FactorOutDistribution} saves: both parts as `{ className, config }`. */
export type FactorOutDistributionConfig = { kept: Serialized; factored: Serialized };

/**
 * The base of a multi-scale flow whose factored-out coordinates have a prior conditioned on the
 * coordinates that go on (Dinh, Sohl-Dickstein and Bengio 2017, §3.6; Kingma and Dhariwal 2018;
 * the factor-out of integer discrete flows, Hoogeboom et al. 2019, §3.2). Over z = [z₁, z₂] with
 * z₁ the first k coordinates:
 *
 * - `log p(z) = log p_kept(z₁) + log p_factored(z₂ | z₁)`
 * - sampling: `z₁ ~ p_kept`, then `z₂ ~ p_factored(· | z₁)`
 *
 * A flow levels with it: `TransformedDistribution(FactorOutDistribution({ kept:
 * TransformedDistribution(…next level…), factored }), level)`. With integer flows and discrete
 * parts, `p` is a probability mass and a lossless code codes z₁ first, then z₂ given it.
 */
export class FactorOutDistribution extends Distribution<FactorOutDistributionConfig> {
  static override readonly className: string = 'FactorOutDistribution';
  readonly eventShape: readonly number[];
  readonly kept: Distribution;
  readonly factored: ConditionalDistribution;

  constructor(options: FactorOutDistributionOptions) {
    assertKnownOptions(options, ['kept', 'factored'], 'FactorOutDistribution');
    super();
    const { kept, factored } = options;
    if (!(kept instanceof Distribution)) throw new TypeError('FactorOutDistribution: kept must be a Distribution');
    if (!(factored instanceof ConditionalDistribution)) throw new TypeError('FactorOutDistribution: factored must be a ConditionalDistribution');
    if (kept.eventShape.length !== 1 || factored.eventShape.length !== 1)
      throw new RangeError(
        `FactorOutDistribution: both parts must be over vectors, got [${kept.eventShape.join(', ')}] and [${factored.eventShape.join(', ')}]`,
      );
    if (kept.contextSize > 0) throw new RangeError('FactorOutDistribution: the kept part must not take a context of its own');
    if (factored.contextSize !== kept.eventShape[0])
      throw new RangeError(
        `FactorOutDistribution: the factored part's context width (${factored.contextSize}) must be the kept part's size (${kept.eventShape[0]})`,
      );
    this.kept = kept;
    this.factored = factored;
    this.eventShape = [kept.eventShape[0] + factored.eventShape[0]];
  }

  /** Size k of the kept part z₁ (the first k coordinates). */
  get keptSize(): number {
    return this.kept.eventShape[0];
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.kept.trainableVariables, ...this.factored.trainableVariables];
  }

  override get variables(): tf.Variable[] {
    return [...this.kept.variables, ...this.factored.variables];
  }

  /** z split into [z₁, z₂] (not tidied). */
  split(z: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
    const n = z.shape[0];
    const k = this.keptSize;
    return [tf.slice(z, [0, 0], [n, k]) as tf.Tensor2D, tf.slice(z, [0, k], [n, this.eventShape[0] - k]) as tf.Tensor2D];
  }

  protected logProbImpl(z: tf.Tensor): tf.Tensor1D {
    const [kept, factored] = this.split(z);
    return tf.add(this.kept.uncheckedLogProb(kept), this.factored.uncheckedLogProb(factored, kept));
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const kept = this.kept.sample(n, { random, temperature });
    const factored = this.factored.sample(n, { random, temperature, context: kept });
    return tf.concat([kept, factored], 1);
  }

  getConfig(): FactorOutDistributionConfig {
    return { kept: this.kept.toJSON(), factored: this.factored.toJSON() };
  }

  static fromConfig(config: FactorOutDistributionConfig): FactorOutDistribution {
    return new FactorOutDistribution({
      kept: distributionFromJSON(config.kept),
      factored: distributionFromJSON(config.factored) as ConditionalDistribution,
    });
  }

  override dispose(): void {
    this.kept.dispose();
    this.factored.dispose();
  }
}
