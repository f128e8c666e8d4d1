import * as tf from '@tensorflow/tfjs';
import { Bijector, newVariable, sumEventAxes } from './bijector.js';
import { type Conditioner, FunctionConditioner, MLP } from './conditioner.js';
import type { Activation } from './dense.js';
import { BijectorInputError } from './errors.js';
import { assertUsefulMask, type Mask } from './masks.js';
import { Random } from './random.js';
import { conditionerFromJSON, conditionerToJSON } from './registry.js';
import { validateMask } from './validation.js';

/** Options of {@link MaskedAffineCoupling}. */
export interface MaskedAffineCouplingOptions {
  /** Binary mask b; `b_i = 1` leaves coordinate i unchanged. Its length is the event size D. */
  mask: ArrayLike<number>;
  /** Scale network s. A function is wrapped as an unserializable conditioner. Default: an MLP. */
  scale?: Conditioner | ((maskedInput: tf.Tensor2D) => tf.Tensor2D);
  /** Translation network t. Default: an MLP. */
  translation?: Conditioner | ((maskedInput: tf.Tensor2D) => tf.Tensor2D);
  /** Hidden widths of the default MLPs (default `[64, 64]`). */
  hidden?: number[];
  activation?: Activation;
  /** Apply tanh to the scale network's output, bounding s to (-1, 1) (default true). */
  scaleTanh?: boolean;
  /**
   * Multiply the tanh-bounded scale by a learnable per-coordinate factor (initialised to 1), so
   * that s is bounded but the bound is learned: `s = c ⊙ tanh(raw)`. Needed where the data need
   * large contractions, such as dequantized pixels. Default false.
   */
  learnableScaleFactor?: boolean;
  /** Width of an optional context concatenated to the conditioners' input. */
  contextSize?: number;
  /** Seed (or generator) for the default MLPs' initial weights. */
  seed?: number | Random;
}

/**
 * The Real NVP masked affine coupling layer (Dinh, Sohl-Dickstein and Bengio, "Density
 * estimation using Real NVP", ICLR 2017), exactly as equations (12)-(14) of the exercise:
 *
 * - forward (base → data): `y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))`
 * - inverse (data → base): `x = b⊙y + (1−b)⊙((y − t(b⊙y))⊙exp(−s(b⊙y)))`
 * - forward log-det: `log|det ∂y/∂x| = Σ_i (1−b_i) s_i(b⊙x)`
 * - inverse log-det: `−Σ_i (1−b_i) s_i(b⊙y)`
 *
 * s and t see only the masked input (and the context, concatenated, when given). With
 * `scaleTanh` (the default) `s = tanh(raw)`, which keeps exp(s) in (1/e, e): no overflow on any
 * finite input; `learnableScaleFactor` makes it `s = c ⊙ tanh(raw)` with a learned c. The default MLPs end in a zero-initialised layer, so a fresh layer is the identity.
 *
 * Implementation note: `(1−b)` multiplies s and t *before* the exponential, which equals the
 * equations but cannot form `0 · ∞` on masked coordinates.
 */
export class MaskedAffineCoupling extends Bijector {
  readonly className = 'MaskedAffineCoupling';
  readonly eventShape: readonly number[];
  readonly mask: Mask;
  readonly scaleNetwork: Conditioner;
  readonly translationNetwork: Conditioner;
  readonly scaleTanh: boolean;
  /** The learnable factor c of `s = c ⊙ tanh(raw)`, when enabled. */
  readonly scaleFactor: tf.Variable | null;
  private readonly contextWidth: number;
  private readonly maskTensor: tf.Tensor1D;
  private readonly inverseMaskTensor: tf.Tensor1D;

  constructor(options: MaskedAffineCouplingOptions) {
    super();
    const who = 'MaskedAffineCoupling';
    validateMask(options.mask, who);
    assertUsefulMask(options.mask, who);
    const size = options.mask.length;
    this.mask = Array.from(options.mask);
    this.eventShape = [size];
    this.scaleTanh = options.scaleTanh ?? true;
    this.contextWidth = options.contextSize ?? 0;
    const inputSize = size + this.contextWidth;
    const random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
    const makeConditioner = (given: MaskedAffineCouplingOptions['scale'], name: string): Conditioner => {
      if (given === undefined) {
        return new MLP({ inputSize, outputSize: size, hidden: options.hidden ?? [64, 64], activation: options.activation, seed: random.nextUint32(), name });
      }
      const conditioner = typeof given === 'function' ? new FunctionConditioner(given, inputSize, size) : given;
      if (conditioner.inputSize !== inputSize || conditioner.outputSize !== size) {
        throw new BijectorInputError(
          `${who}: the ${name} conditioner must map ${inputSize} → ${size}, got ${conditioner.inputSize} → ${conditioner.outputSize}`,
        );
      }
      return conditioner;
    };
    this.scaleNetwork = makeConditioner(options.scale, 'scale');
    this.translationNetwork = makeConditioner(options.translation, 'translation');
    this.scaleFactor = options.learnableScaleFactor ? newVariable(() => tf.ones([size])) : null;
    this.maskTensor = tf.keep(tf.tensor1d(this.mask));
    this.inverseMaskTensor = tf.keep(tf.tensor1d(this.mask.map((b) => 1 - b)));
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.scaleNetwork.trainableVariables, ...this.translationNetwork.trainableVariables, ...(this.scaleFactor ? [this.scaleFactor] : [])];
  }

  /** Masked s and t for a batch: both are zero on the kept coordinates. */
  private parameters(input: tf.Tensor, context?: tf.Tensor): { maskedInput: tf.Tensor2D; s: tf.Tensor2D; t: tf.Tensor2D } {
    const maskedInput = tf.mul(input, this.maskTensor) as tf.Tensor2D;
    const networkInput = context ? (tf.concat([maskedInput, context as tf.Tensor2D], 1) as tf.Tensor2D) : maskedInput;
    let rawScale = this.scaleNetwork.apply(networkInput);
    if (this.scaleTanh) rawScale = tf.tanh(rawScale);
    if (this.scaleFactor) rawScale = tf.mul(rawScale, this.scaleFactor);
    const s = tf.mul(rawScale, this.inverseMaskTensor) as tf.Tensor2D;
    const t = tf.mul(this.translationNetwork.apply(networkInput), this.inverseMaskTensor) as tf.Tensor2D;
    return { maskedInput, s, t };
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { s, t } = this.parameters(x, context);
    const y = tf.add(tf.mul(x, tf.exp(s)), t);
    return [y, sumEventAxes(s)];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const { s, t } = this.parameters(y, context);
    const x = tf.mul(tf.sub(y, t), tf.exp(tf.neg(s)));
    return [x, tf.neg(sumEventAxes(s))];
  }

  getConfig(): Record<string, unknown> {
    return {
      mask: this.mask,
      scaleTanh: this.scaleTanh,
      learnableScaleFactor: this.scaleFactor !== null,
      contextSize: this.contextWidth,
      scale: conditionerToJSON(this.scaleNetwork),
      translation: conditionerToJSON(this.translationNetwork),
    };
  }

  static fromConfig(config: Record<string, unknown>): MaskedAffineCoupling {
    return new MaskedAffineCoupling({
      mask: config.mask as number[],
      scaleTanh: config.scaleTanh as boolean,
      learnableScaleFactor: config.learnableScaleFactor === true,
      contextSize: config.contextSize as number,
      scale: conditionerFromJSON(config.scale),
      translation: conditionerFromJSON(config.translation),
    });
  }

  override dispose(): void {
    super.dispose();
    this.maskTensor.dispose();
    this.inverseMaskTensor.dispose();
  }
}
