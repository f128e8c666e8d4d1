import type * as tf from '@tensorflow/tfjs-core';
import { type Serialized, Bijector, bijectorFromJSON, MissingInverseError } from '@flows/core';

/** What an {@link Invert} saves: the bijector it inverts, as `{ className, config }`. */
export type InvertConfig = { bijector: Serialized };

/**
 * Swaps the directions of a bijector: `Invert(f).forward = f.inverse` and
 * `Invert(f).inverse = f.forward`, with the log-dets swapped accordingly. It shares (does not copy)
 * the wrapped bijector's variables.
 */
export class Invert extends Bijector<InvertConfig> {
  static override readonly className: string = 'Invert';
  readonly eventShape: readonly number[] | null;

  constructor(readonly bijector: Bijector) {
    super();
    this.eventShape = bijector.outputEventShape;
  }

  override get outputEventShape(): readonly number[] | null {
    return this.bijector.eventShape;
  }

  override get contextSize(): number {
    return this.bijector.contextSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.bijector.trainableVariables;
  }

  override get variables(): tf.Variable[] {
    return this.bijector.variables;
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    if (!this.bijector.hasInverse) throw new MissingInverseError(this.bijector.className, 'so Invert has no forward');
    return this.bijector.uncheckedInverseAndLogDet(x, context);
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.bijector.uncheckedForwardAndLogDet(y, context);
  }

  getConfig(): InvertConfig {
    return { bijector: this.bijector.toJSON() };
  }

  static fromConfig(config: InvertConfig): Invert {
    return new Invert(bijectorFromJSON(config.bijector));
  }

  override dispose(): void {
    this.bijector.dispose();
  }
}
