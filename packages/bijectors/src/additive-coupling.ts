import * as tf from '@tensorflow/tfjs';
import { Bijector, zeroLogDet } from './bijector.js';
import { type Conditioner, FunctionConditioner, MLP } from './conditioner.js';
import type { Activation } from './dense.js';
import { BijectorInputError } from './errors.js';
import { assertUsefulMask, type Mask } from './masks.js';
import { Random } from './random.js';
import { conditionerFromJSON, conditionerToJSON } from './registry.js';
import { validateMask } from './validation.js';

export interface AdditiveCouplingOptions {
  /** Binary mask b; `b_i = 1` leaves coordinate i unchanged. */
  mask: ArrayLike<number>;
  /** Shift network m. Default: an MLP with a zero-initialised last layer. */
  shift?: Conditioner | ((maskedInput: tf.Tensor2D) => tf.Tensor2D);
  hidden?: number[];
  activation?: Activation;
  contextSize?: number;
  seed?: number | Random;
}

/**
 * NICE additive coupling (Dinh, Krueger and Bengio, "NICE: Non-linear Independent Components
 * Estimation", 2015), written with a binary mask b:
 *
 * - forward: `y = x + (1−b)⊙m(b⊙x)`
 * - inverse: `x = y − (1−b)⊙m(b⊙y)`
 * - log-det: 0 in both directions (volume preserving); pair it with {@link ElementwiseScale}.
 */
export class AdditiveCoupling extends Bijector {
  readonly className = 'AdditiveCoupling';
  readonly eventShape: readonly number[];
  readonly mask: Mask;
  readonly shiftNetwork: Conditioner;
  private readonly contextWidth: number;
  private readonly maskTensor: tf.Tensor1D;
  private readonly inverseMaskTensor: tf.Tensor1D;

  constructor(options: AdditiveCouplingOptions) {
    super();
    const who = 'AdditiveCoupling';
    validateMask(options.mask, who);
    assertUsefulMask(options.mask, who);
    const size = options.mask.length;
    this.mask = Array.from(options.mask);
    this.eventShape = [size];
    this.contextWidth = options.contextSize ?? 0;
    const inputSize = size + this.contextWidth;
    if (options.shift === undefined) {
      const random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
      this.shiftNetwork = new MLP({ inputSize, outputSize: size, hidden: options.hidden ?? [64, 64], activation: options.activation, seed: random.nextUint32(), name: 'shift' });
    } else {
      this.shiftNetwork = typeof options.shift === 'function' ? new FunctionConditioner(options.shift, inputSize, size) : options.shift;
      if (this.shiftNetwork.inputSize !== inputSize || this.shiftNetwork.outputSize !== size) {
        throw new BijectorInputError(`${who}: the shift conditioner must map ${inputSize} → ${size}, got ${this.shiftNetwork.inputSize} → ${this.shiftNetwork.outputSize}`);
      }
    }
    this.maskTensor = tf.keep(tf.tensor1d(this.mask));
    this.inverseMaskTensor = tf.keep(tf.tensor1d(this.mask.map((b) => 1 - b)));
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.shiftNetwork.trainableVariables;
  }

  private shift(input: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    const masked = tf.mul(input, this.maskTensor) as tf.Tensor2D;
    const networkInput = context ? (tf.concat([masked, context as tf.Tensor2D], 1) as tf.Tensor2D) : masked;
    return tf.mul(this.shiftNetwork.apply(networkInput), this.inverseMaskTensor);
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.add(x, this.shift(x, context)), zeroLogDet(x)];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.sub(y, this.shift(y, context)), zeroLogDet(y)];
  }

  getConfig(): Record<string, unknown> {
    return { mask: this.mask, contextSize: this.contextWidth, shift: conditionerToJSON(this.shiftNetwork) };
  }

  static fromConfig(config: Record<string, unknown>): AdditiveCoupling {
    return new AdditiveCoupling({
      mask: config.mask as number[],
      contextSize: config.contextSize as number,
      shift: conditionerFromJSON(config.shift),
    });
  }

  override dispose(): void {
    super.dispose();
    this.shiftNetwork.dispose();
    this.maskTensor.dispose();
    this.inverseMaskTensor.dispose();
  }
}
