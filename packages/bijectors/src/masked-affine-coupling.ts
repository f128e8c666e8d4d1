import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, newVariable, optionNames, type Serialized, sumEventAxes } from '@flows/core';
import { affineCouplingInverse, denseCouplingInverse } from '@flows/kernels';
import { type Conditioner, conditionerFromJSON, conditionerToJSON, MLP } from '@flows/networks';
import { type ConditionerSpec, MaskedCoupling, type MaskedCouplingOptions } from './masked-coupling.js';

/** Options of {@link MaskedAffineCoupling}. */
export interface MaskedAffineCouplingOptions extends MaskedCouplingOptions {
  /** Scale network s. A function is wrapped as an unserializable conditioner. Default: an MLP. */
  scale?: ConditionerSpec;
  /** Translation network t. Default: an MLP. */
  translation?: ConditionerSpec;
  /** Apply tanh to the scale network's output, bounding s to (-1, 1) (default true). */
  scaleTanh?: boolean;
  /**
   * Multiply the tanh-bounded scale by a learnable per-coordinate factor (initialised to 1), so
   * that s is bounded but the bound is learned: `s = c ⊙ tanh(raw)`. Needed where the data need
   * large contractions, such as dequantized pixels. Default false.
   */
  learnableScaleFactor?: boolean;
}

/** Every option MaskedAffineCoupling takes; others are rejected with a message that names them. */
const MASKED_AFFINE_COUPLING_OPTION_NAMES = optionNames<MaskedAffineCouplingOptions>()([
  'mask',
  'hidden',
  'activation',
  'contextSize',
  'seed',
  'eventShape',
  'scale',
  'translation',
  'scaleTanh',
  'learnableScaleFactor',
]);

/**
 * What a {@link MaskedAffineCoupling} saves: the mask, the image shape (image couplings only), the
 * tanh bound and learnable factor settings, the context width and the two networks.
 */
export type MaskedAffineCouplingConfig = {
  mask: number[];
  eventShape?: number[];
  scaleTanh: boolean;
  learnableScaleFactor?: boolean;
  contextSize: number;
  scale: Serialized;
  translation: Serialized;
};

/**
 * The Real NVP masked affine coupling layer (Dinh, Sohl-Dickstein and Bengio, "Density
 * estimation using Real NVP", ICLR 2017, equations 4-9), with the mask b applied to both directions:
 *
 * - forward (base → data): `y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))`
 * - inverse (data → base): `x = b⊙y + (1−b)⊙((y − t(b⊙y))⊙exp(−s(b⊙y)))`
 * - forward log-det: `log|det ∂y/∂x| = Σ_i (1−b_i) s_i(b⊙x)`
 * - inverse log-det: `−Σ_i (1−b_i) s_i(b⊙y)`
 *
 * s and t see only the masked input (and the context, concatenated, when given). With
 * `scaleTanh` (the default) `s = tanh(raw)`, which keeps exp(s) in (1/e, e): no overflow on any
 * finite input; `learnableScaleFactor` makes it `s = c ⊙ tanh(raw)` with a learned c. The default
 * MLPs end in a zero-initialised layer, so a fresh layer is the identity.
 *
 * Implementation note: `(1−b)` multiplies s and t *before* the exponential, which equals the
 * equations but cannot form `0 · ∞` on masked coordinates.
 */
export class MaskedAffineCoupling extends MaskedCoupling<MaskedAffineCouplingConfig> {
  static override readonly className: string = 'MaskedAffineCoupling';
  readonly scaleNetwork: Conditioner;
  readonly translationNetwork: Conditioner;
  readonly scaleTanh: boolean;
  /** The learnable factor c of `s = c ⊙ tanh(raw)`, when enabled. */
  readonly scaleFactor: tf.Variable | null;
  /** c = 1 for the fused WebGPU kernel when there is no learnable factor; made on first use. */

  constructor(options: MaskedAffineCouplingOptions) {
    assertKnownOptions(options, MASKED_AFFINE_COUPLING_OPTION_NAMES, 'MaskedAffineCoupling');
    super(options, 'MaskedAffineCoupling');
    this.scaleTanh = options.scaleTanh ?? true;
    try {
      this.scaleNetwork = this.conditioner(options.scale, 'scale', options);
      this.translationNetwork = this.conditioner(options.translation, 'translation', options);
    } catch (error) {
      this.releasePartial();
      throw error;
    }
    this.scaleFactor = options.learnableScaleFactor ? newVariable(() => tf.ones(this.eventShape as number[])) : null;
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.scaleNetwork.trainableVariables, ...this.translationNetwork.trainableVariables, ...(this.scaleFactor ? [this.scaleFactor] : [])];
  }

  /** Masked s and t for a batch: both are zero on the kept coordinates. */
  private parameters(input: tf.Tensor, context?: tf.Tensor): { s: tf.Tensor2D; t: tf.Tensor2D } {
    const inputs = this.conditionerInputs(input, context);
    let rawScale = this.runConditioner(this.scaleNetwork, input, context, inputs);
    if (this.scaleTanh) rawScale = tf.tanh(rawScale);
    if (this.scaleFactor) rawScale = tf.mul(rawScale, this.scaleFactor);
    const s = tf.mul(rawScale, this.inverseMaskTensor) as tf.Tensor2D;
    const t = tf.mul(this.runConditioner(this.translationNetwork, input, context, inputs), this.inverseMaskTensor) as tf.Tensor2D;
    return { s, t };
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { s, t } = this.parameters(x, context);
    const y = tf.add(tf.mul(x, tf.exp(s)), t);
    return [y, sumEventAxes(s)];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    // The density direction (training) as one operation of @flows/kernels: a fused kernel where the
    // backend registers one (webgpu; wasm with @flows/native-kernels), the stock composition elsewhere.
    // With MLP conditioners the networks belong to the operation too (on wasm with the native
    // kernels the whole layer is one call each way).
    if (this.scaleNetwork instanceof MLP && this.translationNetwork instanceof MLP) {
      return denseCouplingInverse(
        y,
        this.scaleNetwork,
        this.translationNetwork,
        this.scaleFactor,
        this.maskTensor,
        this.inverseMaskTensor,
        this.scaleTanh,
        context,
      );
    }
    const inputs = this.conditionerInputs(y, context);
    const rawScale = this.runConditioner(this.scaleNetwork, y, context, inputs);
    const rawTranslation = this.runConditioner(this.translationNetwork, y, context, inputs);
    return affineCouplingInverse(y, rawScale, rawTranslation, this.scaleFactor, this.inverseMaskTensor, this.scaleTanh);
  }

  getConfig(): MaskedAffineCouplingConfig {
    return {
      mask: this.mask,
      ...(this.isImage ? { eventShape: [...this.eventShape] } : {}),
      scaleTanh: this.scaleTanh,
      learnableScaleFactor: this.scaleFactor !== null,
      contextSize: this.contextWidth,
      scale: conditionerToJSON(this.scaleNetwork),
      translation: conditionerToJSON(this.translationNetwork),
    };
  }

  static fromConfig(config: MaskedAffineCouplingConfig): MaskedAffineCoupling {
    return new MaskedAffineCoupling({
      mask: config.mask,
      eventShape: config.eventShape,
      scaleTanh: config.scaleTanh,
      // Files written before the option existed have no such key: a fixed unit factor.
      learnableScaleFactor: config.learnableScaleFactor === true,
      contextSize: config.contextSize,
      scale: conditionerFromJSON(config.scale),
      translation: conditionerFromJSON(config.translation),
    });
  }
}
