import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, BijectorInputError, optionNames, type Serialized, sumEventAxes } from '@flows/core';
import { type Conditioner, conditionerFromJSON, conditionerToJSON } from '@flows/networks';
import { type ConditionerSpec, MaskedCoupling, type MaskedCouplingOptions } from './masked-coupling.js';
import { transformerFromJSON, transformerToJSON } from './transformer-registry.js';
import type { Transformer } from './transformer.js';

/** Options of {@link TransformerCoupling}. */
export interface TransformerCouplingOptions extends MaskedCouplingOptions {
  /** The elementwise map applied to the transformed coordinates. */
  transformer: Transformer;
  /** Network D + context → D · parameterCount (default: an MLP with a zero last layer). */
  conditioner?: ConditionerSpec;
}

/** Every option TransformerCoupling takes; others are rejected with a message that names them. */
const TRANSFORMER_COUPLING_OPTION_NAMES = optionNames<TransformerCouplingOptions>()([
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'eventShape',
  'transformer',
  'conditioner',
]);

/** What a {@link TransformerCoupling} saves: the mask, the context width, the transformer and the conditioner. */
export type TransformerCouplingConfig = { mask: number[]; contextSize: number; transformer: Serialized; conditioner: Serialized };

/**
 * A masked coupling with any {@link Transformer} (splines, affine, gated…), the generalisation of
 * Real NVP's layer used by neural spline flows (Durkan et al. 2019):
 *
 * - forward (base → data): `y = b⊙x + (1−b)⊙g(x; θ(b⊙x))`, log-det `Σ_i (1−b_i) log g'(x_i)`
 * - inverse (data → base): `x = b⊙y + (1−b)⊙g⁻¹(y; θ(b⊙y))`, log-det `Σ_i (1−b_i) log (g⁻¹)'(y_i)`
 *
 * θ has `parameterCount` values per coordinate, laid out coordinate by coordinate in the
 * conditioner's output. Subclasses (in plugins, too) fix the transformer and keep this code.
 */
export class TransformerCoupling extends MaskedCoupling<TransformerCouplingConfig> {
  static override readonly className: string = 'TransformerCoupling';
  readonly transformer: Transformer;
  readonly network: Conditioner;

  constructor(options: TransformerCouplingOptions, who = 'TransformerCoupling') {
    if (new.target === TransformerCoupling) assertKnownOptions(options, TRANSFORMER_COUPLING_OPTION_NAMES, 'TransformerCoupling');
    super(options, who);
    this.transformer = options.transformer;
    try {
      if (this.isImage) throw new BijectorInputError(`${who}: transformers act on vector events; flatten images or use MaskedAffineCoupling`);
      this.network = this.conditioner(options.conditioner, 'parameters', options, this.mask.length * this.transformer.parameterCount);
    } catch (error) {
      this.releasePartial();
      throw error;
    }
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  private parameters(input: tf.Tensor, context?: tf.Tensor): tf.Tensor3D {
    const raw = this.runConditioner(this.network, input, context);
    return tf.reshape(raw, [input.shape[0], this.mask.length, this.transformer.parameterCount]);
  }

  private combine(input: tf.Tensor, [value, logDerivative]: [tf.Tensor2D, tf.Tensor2D]): [tf.Tensor, tf.Tensor1D] {
    const output = tf.add(tf.mul(input, this.maskTensor), tf.mul(value, this.inverseMaskTensor));
    return [output, sumEventAxes(tf.mul(logDerivative, this.inverseMaskTensor))];
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.combine(x, this.transformer.forward(x as tf.Tensor2D, this.parameters(x, context)));
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.combine(y, this.transformer.inverse(y as tf.Tensor2D, this.parameters(y, context)));
  }

  getConfig(): TransformerCouplingConfig {
    return {
      mask: this.mask,
      contextSize: this.contextWidth,
      transformer: transformerToJSON(this.transformer),
      conditioner: conditionerToJSON(this.network),
    };
  }

  /** Options that rebuild a coupling from {@link TransformerCoupling.getConfig}. */
  static optionsFromConfig(config: TransformerCouplingConfig): TransformerCouplingOptions {
    return {
      mask: config.mask,
      contextSize: config.contextSize,
      transformer: transformerFromJSON(config.transformer),
      conditioner: conditionerFromJSON(config.conditioner),
    };
  }

  static fromConfig(config: TransformerCouplingConfig): TransformerCoupling {
    return new TransformerCoupling(TransformerCoupling.optionsFromConfig(config));
  }
}
