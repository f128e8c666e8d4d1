import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, perRow } from '@flows/core';

export interface ElementwiseAffineOptions {
  size: number;
  shift?: ArrayLike<number>;
  logScale?: ArrayLike<number>;
}

/** Every option ElementwiseAffine takes; others are rejected with a message that names them. */
const ELEMENTWISE_AFFINE_OPTION_NAMES = optionNames<ElementwiseAffineOptions>()(['size', 'shift', 'logScale']);

/** What an {@link ElementwiseAffine} saves. */
export type ElementwiseAffineConfig = { size: number };

/**
 * A learnable elementwise affine map with shift μ and log-scale log σ:
 *
 * - forward: `y = x ⊙ exp(logScale) + shift`; log-det `Σ_i logScale_i`
 * - inverse: `x = (y − shift) ⊙ exp(−logScale)`; log-det `−Σ_i logScale_i`
 *
 * (A linear flow `y = Ω x + c` with a diagonal Ω = diag(exp(logScale)); `InvertibleLinear` is the
 * full-matrix one.)
 */
export class ElementwiseAffine extends Bijector<ElementwiseAffineConfig> {
  static override readonly className: string = 'ElementwiseAffine';
  readonly eventShape: readonly number[];
  readonly shift: tf.Variable;
  readonly logScale: tf.Variable;

  constructor(options: ElementwiseAffineOptions) {
    assertKnownOptions(options, ELEMENTWISE_AFFINE_OPTION_NAMES, 'ElementwiseAffine');
    super();
    assertPositiveInteger(options.size, 'ElementwiseAffine', 'size');
    this.eventShape = [options.size];
    const read = (values: ArrayLike<number> | undefined, name: string) => {
      if (values && values.length !== options.size) throw new RangeError(`ElementwiseAffine: ${name} must have length ${options.size}`);
      return () => (values ? tf.tensor1d(Array.from(values)) : tf.zeros([options.size]));
    };
    this.shift = newVariable(read(options.shift, 'shift'));
    this.logScale = newVariable(read(options.logScale, 'logScale'));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.shift, this.logScale];
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.add(tf.mul(x, tf.exp(this.logScale)), this.shift), perRow(tf.sum(this.logScale), x.shape[0])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.mul(tf.sub(y, this.shift), tf.exp(tf.neg(this.logScale))), perRow(tf.neg(tf.sum(this.logScale)), y.shape[0])];
  }

  getConfig(): ElementwiseAffineConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: ElementwiseAffineConfig): ElementwiseAffine {
    return new ElementwiseAffine({ size: config.size });
  }
}
