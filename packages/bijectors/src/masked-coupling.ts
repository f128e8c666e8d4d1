import * as tf from '@tensorflow/tfjs-core';
import { Bijector, BijectorInputError, Random, validateMask } from '@flows/core';
import { type Activation, type Conditioner, ConvNet, FunctionConditioner, MLP } from '@flows/networks';
import { assertUsefulMask, type Mask } from './masks.js';

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
  /**
   * Event shape, for image couplings `[H, W, C]` (the mask is then the flattened image mask, e.g.
   * `imageCheckerboardMask` or `channelMask`, and the default conditioner is a {@link ConvNet}).
   * Default `[mask.length]`.
   */
  eventShape?: number[];
}

/** A conditioner given as an object, a plain function, or left to the default MLP. */
export type ConditionerSpec = Conditioner | ((maskedInput: tf.Tensor2D) => tf.Tensor2D) | undefined;

/**
 * The shared part of masked couplings (Real NVP's affine, NICE's additive, and plugins' splines):
 * the mask and its complement as tensors, the conditioner input `[b⊙x, context]`, and conditioners
 * built or checked against the D + context → D shape. Subclasses define the transform.
 */
export abstract class MaskedCoupling<Config extends object = Record<string, unknown>> extends Bijector<Config> {
  readonly eventShape: readonly number[];
  readonly mask: Mask;
  protected readonly contextWidth: number;
  protected readonly maskTensor: tf.Tensor;
  protected readonly inverseMaskTensor: tf.Tensor;
  private readonly random: Random;

  constructor(options: MaskedCouplingOptions, who: string) {
    super();
    validateMask(options.mask, who);
    // Only the all-ones check here: whether a mask that keeps nothing is acceptable depends on the
    // conditioner, and is checked where a default one is built.
    assertUsefulMask(options.mask, who, 1);
    this.mask = Array.from(options.mask);
    this.eventShape = options.eventShape ? [...options.eventShape] : [this.mask.length];
    const size = this.eventShape.reduce((a, b) => a * b, 1);
    if (size !== this.mask.length) {
      throw new BijectorInputError(`${who}: eventShape [${this.eventShape.join(', ')}] has ${size} coordinates but the mask has ${this.mask.length}`);
    }
    this.contextWidth = options.contextSize ?? 0;
    this.random = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
    this.maskTensor = tf.keep(tf.tensor(this.mask, this.eventShape as number[]));
    this.inverseMaskTensor = tf.keep(
      tf.tensor(
        this.mask.map((b) => 1 - b),
        this.eventShape as number[],
      ),
    );
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  /** Whether the events are images `[H, W, C]` rather than vectors. */
  protected get isImage(): boolean {
    return this.eventShape.length === 3;
  }

  /**
   * A conditioner D + context → `outputSize` (default D): the given one, checked, or a fresh MLP
   * (a fresh {@link ConvNet} on images, mapping C + context channels to C · outputSize / D).
   */
  protected conditioner(given: ConditionerSpec, name: string, options: MaskedCouplingOptions, outputSize = this.mask.length): Conditioner {
    const channels = this.eventShape[this.eventShape.length - 1];
    const perCoordinate = outputSize / this.mask.length;
    // A default network reads the kept coordinates and the context: it needs one of them. A given
    // conditioner (constants, say) may read nothing.
    if (given === undefined) assertUsefulMask(this.mask, this.className, this.contextWidth);
    if (given === undefined && this.isImage) {
      return this.own(
        new ConvNet({
          inputChannels: channels + this.contextWidth,
          outputChannels: channels * perCoordinate,
          hidden: options.hidden ?? [64, 64],
          activation: options.activation,
          seed: this.random.nextUint32(),
        }),
      );
    }
    const inputSize = this.mask.length + this.contextWidth;
    if (given === undefined) {
      return this.own(
        new MLP({ inputSize, outputSize, hidden: options.hidden ?? [64, 64], activation: options.activation, seed: this.random.nextUint32(), name }),
      );
    }
    const conditioner: Conditioner = typeof given === 'function' ? new FunctionConditioner(given, inputSize, outputSize) : given;
    if (conditioner.acceptsImages) {
      if (!this.isImage)
        throw new BijectorInputError(
          `${this.className}: the ${name} conditioner takes images but the events are vectors of shape [${this.eventShape.join(', ')}]`,
        );
      if (conditioner.inputSize !== channels + this.contextWidth || conditioner.outputSize !== channels * perCoordinate) {
        throw new BijectorInputError(
          `${this.className}: the ${name} conditioner must map ${channels + this.contextWidth} → ${channels * perCoordinate} channels, got ${conditioner.inputSize} → ${conditioner.outputSize}`,
        );
      }
      return conditioner;
    }
    if (conditioner.inputSize !== inputSize || conditioner.outputSize !== outputSize) {
      throw new BijectorInputError(
        `${this.className}: the ${name} conditioner must map ${inputSize} → ${outputSize}, got ${conditioner.inputSize} → ${conditioner.outputSize}`,
      );
    }
    return conditioner;
  }

  /** The conditioners' input: the masked event, with the context concatenated when there is one. */
  protected conditionerInput(x: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
    const masked = tf.mul(x, this.maskTensor);
    const flat = this.isImage ? tf.reshape(masked, [x.shape[0], this.mask.length]) : masked;
    return context ? (tf.concat([flat as tf.Tensor2D, context as tf.Tensor2D], 1) as tf.Tensor2D) : (flat as tf.Tensor2D);
  }

  /**
   * A conditioner's output for a batch, shaped like the events (`[N, ...eventShape]`): image
   * conditioners see the masked image with the context as extra constant channels; flat ones the
   * flattened masked event with the context appended. Pass the same `inputs` (from
   * {@link MaskedCoupling.conditionerInputs}) to every network of one call, so the masked input is
   * built once per kind.
   */
  protected runConditioner(network: Conditioner, x: tf.Tensor, context?: tf.Tensor, inputs = this.conditionerInputs(x, context)): tf.Tensor {
    if (network.acceptsImages) return network.apply(inputs.image());
    const output = network.apply(inputs.flat());
    return this.isImage ? tf.reshape(output, x.shape) : output;
  }

  /** The conditioners' inputs for one batch, each built on first use and then reused. */
  protected conditionerInputs(x: tf.Tensor, context?: tf.Tensor): { flat(): tf.Tensor2D; image(): tf.Tensor4D } {
    let flat: tf.Tensor2D | undefined;
    let image: tf.Tensor4D | undefined;
    return {
      flat: () => (flat ??= this.conditionerInput(x, context)),
      image: () => {
        if (!image) {
          const masked = tf.mul(x, this.maskTensor);
          const [n, h, w] = x.shape;
          image = (context ? tf.concat([masked, tf.tile(tf.reshape(context, [n, 1, 1, context.shape[1]!]), [1, h, w, 1])], 3) : masked) as tf.Tensor4D;
        }
        return image;
      },
    };
  }

  /** Networks this layer built itself, freed by {@link MaskedCoupling.releasePartial} if construction fails. */
  private readonly ownedNetworks: Conditioner[] = [];

  private own<T extends Conditioner>(network: T): T {
    this.ownedNetworks.push(network);
    return network;
  }

  /**
   * Frees what a constructor built before it failed (the mask tensors and the networks built so
   * far), so that a layer whose options are rejected half-way leaks nothing. Subclasses call it
   * when their own part of the construction throws.
   */
  protected releasePartial(): void {
    for (const network of this.ownedNetworks) for (const v of network.trainableVariables) if (!v.isDisposed) v.dispose();
    this.maskTensor.dispose();
    this.inverseMaskTensor.dispose();
  }

  override dispose(): void {
    super.dispose();
    this.maskTensor.dispose();
    this.inverseMaskTensor.dispose();
  }
}
