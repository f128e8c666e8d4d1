import * as tf from '@tensorflow/tfjs-core';
import { type Bijector, bijectorFromJSON, type Serialized, type Random, validateContext } from '@flows/core';
import { Distribution, type SampleOptions } from './distribution.js';
import { distributionFromJSON } from './distribution-registry.js';

/** What a {@link TransformedDistribution} saves: its base and its bijector, each as `{ className, config }`. */
export type TransformedDistributionConfig = {
  base: Serialized;
  bijector: Serialized;
};

/**
 * The distribution of `x = f(z)` with `z ~ base` and `f` a bijector (forward = base → data):
 *
 * - `log p(x) = log p_base(f⁻¹(x)) + log|det ∂f⁻¹/∂x|` (density via the inverse)
 * - sampling: `x = f(z)`, `z ~ base` (via the forward)
 * - `sampleAndLogProb`: `log p(x) = log p_base(z) − log|det ∂f/∂z|` from one forward pass.
 *
 * A context, when given, goes to the bijector (and to the base, if the base takes one). The event
 * shape is the bijector's data side, which differs from the base's for shape-changing bijectors
 * (`Squeeze`, multi-scale flows).
 */
export class TransformedDistribution extends Distribution<TransformedDistributionConfig> {
  static override readonly className: string = 'TransformedDistribution';
  readonly eventShape: readonly number[];

  constructor(
    readonly base: Distribution,
    readonly bijector: Bijector,
  ) {
    super();
    if (bijector.eventShape && bijector.eventShape.join(',') !== base.eventShape.join(',')) {
      throw new RangeError(`TransformedDistribution: base event shape [${base.eventShape}] and bijector event shape [${bijector.eventShape}] differ`);
    }
    this.eventShape = bijector.outputEventShape ?? base.eventShape;
  }

  override get contextSize(): number {
    return Math.max(this.base.contextSize, this.bijector.contextSize);
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.base.trainableVariables, ...this.bijector.trainableVariables];
  }

  override get variables(): tf.Variable[] {
    return [...this.base.variables, ...this.bijector.variables];
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const [z, logDet] = this.bijector.uncheckedInverseAndLogDet(x, this.bijector.contextSize > 0 ? context : undefined);
    return tf.add(this.base.uncheckedLogProb(z, this.base.contextSize > 0 ? context : undefined), logDet);
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    const z = this.base.sample(n, { random, temperature, context: this.base.contextSize > 0 ? context : undefined });
    const [x] = this.bijector.uncheckedForwardAndLogDet(z, this.bijector.contextSize > 0 ? context : undefined);
    return x;
  }

  /** Samples and their log-densities under this distribution, from one forward pass. */
  sampleAndLogProb(n: number, options: SampleOptions = {}): [tf.Tensor, tf.Tensor1D] {
    const { random, temperature } = this.sampleArguments(n, options);
    return tf.tidy(() => this.uncheckedSampleAndLogProb(n, random, temperature, options.context));
  }

  /** {@link sampleAndLogProb} without tidy, for training losses such as the reverse KL. */
  uncheckedSampleAndLogProb(n: number, random: Random, temperature = 1, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    validateContext(context, n, this.contextSize, `${this.className}.sampleAndLogProb`);
    const baseContext = this.base.contextSize > 0 ? context : undefined;
    const z = tf.tidy(() => this.base.sample(n, { random, temperature, context: baseContext }));
    const [x, logDet] = this.bijector.uncheckedForwardAndLogDet(z, this.bijector.contextSize > 0 ? context : undefined);
    // Density of x under the model itself (temperature 1), whatever temperature drew z.
    return [x, tf.sub(this.base.uncheckedLogProb(z, baseContext), logDet)];
  }

  getConfig(): TransformedDistributionConfig {
    return { base: this.base.toJSON(), bijector: this.bijector.toJSON() };
  }

  /** Rebuilds the base and the bijector through the registry (their classes must be registered). */
  static fromConfig(config: TransformedDistributionConfig): TransformedDistribution {
    return new TransformedDistribution(distributionFromJSON(config.base), bijectorFromJSON(config.bijector));
  }

  override dispose(): void {
    this.base.dispose();
    this.bijector.dispose();
  }
}
