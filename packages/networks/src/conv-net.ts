import type * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, assertPositiveInteger, ConfigError, optionNames, Random } from '@flows/core';
import { convolutionLayer } from '@flows/kernels';
import type { ImageConditioner } from './conditioner.js';
import { checkImageInput, checkedKernelSize, convolutionVariables } from './convolution-filters.js';
import { ACTIVATIONS, type Activation, applyActivation, layerVariables } from './dense.js';

/** Options of {@link ConvNet}. */
export interface ConvNetOptions {
  inputChannels: number;
  outputChannels: number;
  /** Channels of the hidden convolutions (default [64, 64]). */
  hidden?: number[];
  /** Odd kernel size of every convolution (default 3); padding keeps the height and width. */
  kernelSize?: number;
  activation?: Activation;
  /** Zero the last convolution, so its coupling starts as the identity (default true). */
  zeroInitLast?: boolean;
  seed?: number | Random;
}

/** What a {@link ConvNet} saves: its options, with the seed as a number. */
export type ConvNetConfig = Required<Omit<ConvNetOptions, 'seed'>> & { seed: number };

/** Every option ConvNet takes; others are rejected with a message that names them. */
const CONV_NET_OPTION_NAMES = optionNames<ConvNetOptions>()(['inputChannels', 'outputChannels', 'hidden', 'kernelSize', 'activation', 'zeroInitLast', 'seed']);

/**
 * A small convolutional conditioner for image-shaped couplings (Real NVP, Glow): `same`-padded
 * convolutions `[N, H, W, inputChannels] → hidden… → [N, H, W, outputChannels]`, the last linear.
 * Couplings on `[H, W, C]` events build one by default; `inputSize`/`outputSize` are channel counts.
 */
export class ConvNet extends Module<ConvNetConfig> implements ImageConditioner {
  static override readonly className: string = 'ConvNet';
  readonly acceptsImages = true as const;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly hidden: number[];
  readonly kernelSize: number;
  readonly activation: Activation;
  readonly zeroInitLast: boolean;
  readonly filters: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  private readonly seed: number;

  constructor(options: ConvNetOptions) {
    super();
    assertKnownOptions(options, CONV_NET_OPTION_NAMES, 'ConvNet');
    const who = 'ConvNet';
    assertPositiveInteger(options.inputChannels, who, 'inputChannels');
    assertPositiveInteger(options.outputChannels, who, 'outputChannels');
    this.inputSize = options.inputChannels;
    this.outputSize = options.outputChannels;
    this.hidden = [...(options.hidden ?? [64, 64])];
    this.hidden.forEach((h, i) => assertPositiveInteger(h, who, `hidden[${i}]`));
    this.kernelSize = checkedKernelSize(options.kernelSize, who);
    this.activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(this.activation)) throw new ConfigError(`${who}: unknown activation '${this.activation}'`);
    this.zeroInitLast = options.zeroInitLast ?? true;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    const random = new Random(this.seed);
    const sizes = [this.inputSize, ...this.hidden, this.outputSize];
    const k = this.kernelSize;
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const [filter, bias] = convolutionVariables(k, sizes[layer], sizes[layer + 1], random, layer === sizes.length - 2 && this.zeroInitLast);
      this.filters.push(filter);
      this.biases.push(bias);
    }
  }

  /**
   * `[N, H, W, inputChannels] → [N, H, W, outputChannels]`.
   *
   * Each layer is `convolutionLayer` of `@flows/kernels`: one fused convolution (bias and ReLU
   * included) forward, and its whole gradient as one fused kernel where the backend has it (`wasm`
   * with `@flows/native-kernels`), else forward convolutions (the `wasm` backend has no
   * filter-gradient kernel for `conv2d`, and a slow input-gradient one).
   */
  apply(input: tf.Tensor4D): tf.Tensor4D {
    checkImageInput(input, this.inputSize, 'ConvNet.apply');
    let h = input;
    const last = this.filters.length - 1;
    for (let layer = 0; layer <= last; layer++) {
      const filter = this.filters[layer] as tf.Tensor4D;
      const bias = this.biases[layer] as tf.Tensor1D;
      h = convolutionLayer(h, filter, bias, layer < last && this.activation === 'relu' ? 'relu' : 'linear');
      if (layer < last && this.activation !== 'relu') h = applyActivation(h, this.activation) as tf.Tensor4D;
    }
    return h;
  }

  override get trainableVariables(): tf.Variable[] {
    return layerVariables(this.filters, this.biases);
  }

  getConfig(): ConvNetConfig {
    return {
      inputChannels: this.inputSize,
      outputChannels: this.outputSize,
      hidden: this.hidden,
      kernelSize: this.kernelSize,
      activation: this.activation,
      zeroInitLast: this.zeroInitLast,
      seed: this.seed,
    };
  }

  static fromConfig(config: ConvNetConfig): ConvNet {
    return new ConvNet(config);
  }
}
