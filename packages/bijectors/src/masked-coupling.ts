import * as tf from '@tensorflow/tfjs';
import { Bijector } from './bijector.js';
import { type Conditioner, FunctionConditioner, MLP } from './conditioner.js';
import type { Activation } from './dense.js';
import { BijectorInputError } from './errors.js';
import { assertUsefulMask, type Mask } from './masks.js';
import { Random } from './random.js';
import { validateMask } from './validation.js';

/** What every masked coupling takes: the mask, the default conditioners' shape, a context width, a seed. */
export interface MaskedCouplingOptions {
  /** Binary mask b; `b_i = 1` leaves coordinate i unchanged. Its length is the event size D. */
  mask: ArrayLike<number>;
  /** Hidden widths of the default MLP conditioners (default `[64, 64]`). */
  hidden?: number[];
  activation?: Activation;
  /** Width of an optional context concatenated to the conditioners' input. */
  contextSize?: number;
  /** Seed (or generator) for the default MLPs' initial weights. */
  seed?: number | Random;
}

/** A conditioner given as an object, a plain function, or left to the default MLP. */
export type ConditionerSpec = Conditioner | ((maskedInput: tf.Tensor2D) => tf.Tensor2D) | undefined;

/**
 * The shared part of masked couplings (Real NVP's affine, NICE's additive, and plugins' splines):
 * the mask and its complement as tensors, the conditioner input `[b⊙x, context]`, and conditioners
 * built or checked against the D + context → D shape. Subclasses define the transform.
 */
export abstract class MaskedCoupling extends Bijector {
  readonly eventShape: readonly number[];
  readonly mask: Mask;
  protected readonly contextWidth: number;
  protected readonly maskTensor: tf.Tensor1D;
  protected readonly inverseMaskTensor: tf.Tensor1D;
  private readonly random: Random;

  constructor(options: MaskedCouplingOptions, who: string) {
    super();
    validateMask(options.mask, who);
    assertUsefulMask(options.mask, who);
    this.mask = Array.from(options.mask);
    this.eventShape = [this.mask.length];
    this.contextWidth = options.contextSize ?? 0;
    this.random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
    this.maskTensor = tf.keep(tf.tensor1d(this.mask));
    this.inverseMaskTensor = tf.keep(tf.tensor1d(this.mask.map((b) => 1 - b)));
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  /** A conditioner D + context → `outputSize` (default D): the given one, checked, or a fresh MLP. */
  protected conditioner(given: ConditionerSpec, name: string, options: MaskedCouplingOptions, outputSize = this.mask.length): Conditioner {
    const inputSize = this.mask.length + this.contextWidth;
    if (given === undefined) {
      return new MLP({ inputSize, outputSize, hidden: options.hidden ?? [64, 64], activation: options.activation, seed: this.random.nextUint32(), name });
    }
    const conditioner = typeof given === 'function' ? new FunctionConditioner(given, inputSize, outputSize) : given;
    if (conditioner.inputSize !== inputSize || conditioner.outputSize !== outputSize) {
      throw new BijectorInputError(`${this.className}: the ${name} conditioner must map ${inputSize} → ${outputSize}, got ${conditioner.inputSize} → ${conditioner.outputSize}`);
    }
    return conditioner;
  }

  /** The conditioners' input: the masked event, with the context concatenated when there is one. */
  protected conditionerInput(x: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    const masked = tf.mul(x, this.maskTensor) as tf.Tensor2D;
    return context ? (tf.concat([masked, context as tf.Tensor2D], 1) as tf.Tensor2D) : masked;
  }

  override dispose(): void {
    super.dispose();
    this.maskTensor.dispose();
    this.inverseMaskTensor.dispose();
  }
}
