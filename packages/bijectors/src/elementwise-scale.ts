import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, perRow } from '@flows/core';

export interface ElementwiseScaleOptions {
  /** Event size D. */
  size: number;
  /** Initial log-scales (default zeros: the identity). */
  logScale?: ArrayLike<number>;
}

/** Every option ElementwiseScale takes; others are rejected with a message that names them. */
const ELEMENTWISE_SCALE_OPTION_NAMES = optionNames<ElementwiseScaleOptions>()(['size', 'logScale']);

/** What an {@link ElementwiseScale} saves. */
export type ElementwiseScaleConfig = { size: number };

/**
 * NICE's learnable diagonal rescaling (Dinh et al. 2015, section 3.3), parameterised by
 * log-scales so the scale stays positive:
 *
 * - forward: `y_i = x_i · exp(logScale_i)`;  log-det `Σ_i logScale_i`
 * - inverse: `x_i = y_i · exp(−logScale_i)`; log-det `−Σ_i logScale_i`
 */
export class ElementwiseScale extends Bijector<ElementwiseScaleConfig> {
  static override readonly className: string = 'ElementwiseScale';
  readonly eventShape: readonly number[];
  readonly logScale: tf.Variable;

  constructor(options: ElementwiseScaleOptions) {
    assertKnownOptions(options, ELEMENTWISE_SCALE_OPTION_NAMES, 'ElementwiseScale');
    super();
    assertPositiveInteger(options.size, 'ElementwiseScale', 'size');
    this.eventShape = [options.size];
    if (options.logScale && options.logScale.length !== options.size) throw new Error(`ElementwiseScale: logScale must have length ${options.size}`);
    this.logScale = newVariable(() => (options.logScale ? tf.tensor1d(Array.from(options.logScale)) : tf.zeros([options.size])));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.logScale];
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.mul(x, tf.exp(this.logScale)), perRow(tf.sum(this.logScale), x.shape[0])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.mul(y, tf.exp(tf.neg(this.logScale))), perRow(tf.neg(tf.sum(this.logScale)), y.shape[0])];
  }

  getConfig(): ElementwiseScaleConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: ElementwiseScaleConfig): ElementwiseScale {
    return new ElementwiseScale({ size: config.size });
  }
}
