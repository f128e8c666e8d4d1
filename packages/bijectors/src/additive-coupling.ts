import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames, type Serialized, zeroLogDet } from '@flows/core';
import { type Conditioner, conditionerFromJSON, conditionerToJSON } from '@flows/networks';
import { type ConditionerSpec, MaskedCoupling, type MaskedCouplingOptions } from './masked-coupling.js';

export interface AdditiveCouplingOptions extends MaskedCouplingOptions {
  /** Shift network m. Default: an MLP with a zero-initialised last layer. */
  shift?: ConditionerSpec;
}

/** Every option AdditiveCoupling takes; others are rejected with a message that names them. */
const ADDITIVE_COUPLING_OPTION_NAMES = optionNames<AdditiveCouplingOptions>()(['mask', 'hidden', 'activation', 'contextSize', 'seed', 'eventShape', 'shift']);

/** What an {@link AdditiveCoupling} saves: the mask, the image shape (image couplings only), the context width and the shift network. */
export type AdditiveCouplingConfig = { mask: number[]; eventShape?: number[]; contextSize: number; shift: Serialized };

/**
 * NICE additive coupling (Dinh, Krueger and Bengio, "NICE: Non-linear Independent Components
 * Estimation", 2015), written with a binary mask b:
 *
 * - forward: `y = x + (1−b)⊙m(b⊙x)`
 * - inverse: `x = y − (1−b)⊙m(b⊙y)`
 * - log-det: 0 in both directions (volume preserving); pair it with {@link ElementwiseScale}.
 */
export class AdditiveCoupling extends MaskedCoupling<AdditiveCouplingConfig> {
  static override readonly className: string = 'AdditiveCoupling';
  readonly shiftNetwork: Conditioner;

  constructor(options: AdditiveCouplingOptions) {
    assertKnownOptions(options, ADDITIVE_COUPLING_OPTION_NAMES, 'AdditiveCoupling');
    super(options, 'AdditiveCoupling');
    try {
      this.shiftNetwork = this.conditioner(options.shift, 'shift', options);
    } catch (error) {
      this.releasePartial();
      throw error;
    }
  }

  override get trainableVariables(): tf.Variable[] {
    return this.shiftNetwork.trainableVariables;
  }

  /** The shift `(1−b)⊙m(b⊙x)`, overridden by couplings that shape it (integer couplings round it). */
  protected shift(input: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    return tf.mul(this.runConditioner(this.shiftNetwork, input, context), this.inverseMaskTensor);
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.add(x, this.shift(x, context)), zeroLogDet(x)];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.sub(y, this.shift(y, context)), zeroLogDet(y)];
  }

  getConfig(): AdditiveCouplingConfig {
    return {
      mask: this.mask,
      ...(this.isImage ? { eventShape: [...this.eventShape] } : {}),
      contextSize: this.contextWidth,
      shift: conditionerToJSON(this.shiftNetwork),
    };
  }

  static fromConfig(config: AdditiveCouplingConfig): AdditiveCoupling {
    return new AdditiveCoupling({
      mask: config.mask,
      eventShape: config.eventShape,
      contextSize: config.contextSize,
      shift: conditionerFromJSON(config.shift),
    });
  }

  override dispose(): void {
    super.dispose();
    this.shiftNetwork.dispose();
  }
}
