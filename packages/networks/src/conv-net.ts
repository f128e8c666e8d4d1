import * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, assertPositiveInteger, ConfigError, newVariable, optionNames, Random } from '@flows/core';
import { convolutionFilterGradient } from '@flows/kernels';
import type { ImageConditioner } from './conditioner.js';
import { ACTIVATIONS, type Activation, applyActivation, layerVariables } from './dense.js';

type ConvFunction = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

/**
 * Gradients of `conv(x, W, 1, 'same') + b` (odd k) from the gradient dz of its output, without the
 * backends' backward convolution kernels: the stock ones of the `wasm` backend are naive
 * (Conv2DBackpropInput, several times slower than a forward convolution: bench/results.md) or
 * missing (Conv2DBackpropFilter).
 *
 * - input: `dx = conv(dz, W')`, W' the filter rotated by 180° with input and output channels swapped
 *   (one forward convolution, the kernel every backend makes fast)
 * - filter: `dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h+a, w+b, i] dz[n, h, w, o]`, the operation
 *   `convolutionFilterGradient` of `@flows/kernels` (a native kernel where one is registered, else
 *   one forward convolution)
 * - bias: the sum of dz over batch and pixels.
 */
function convolutionGradients(dz: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor[] {
  const k = filter.shape[0];
  const dx = tf.conv2d(dz, tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same');
  const dFilter = convolutionFilterGradient(x, dz, k);
  const [n, h, w, cout] = dz.shape;
  // A row of ones times dz: wasm reduces over leading axes by transposing first, slower than this product.
  const dBias = tf.reshape(tf.matMul(tf.ones([1, n * h * w]), tf.reshape(dz, [n * h * w, cout])), [cout]);
  return [dx, dFilter, dBias];
}

/** `conv2d(x, W, 1, 'same') + b` with its own gradient (works on every backend, wasm included). */
const convolution = tf.customGrad((...args: unknown[]) => {
  const [x, filter, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, filter]);
  const value = tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same' });
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => convolutionGradients(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
  };
}) as unknown as ConvFunction;

/** `relu(conv2d(x, W, 1, 'same') + b)` in one fused kernel, with its own gradient (the ReLU derivative read off the output). */
const convolutionRelu = tf.customGrad((...args: unknown[]) => {
  const [x, filter, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
  const value = tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: 'relu' });
  save([x, filter, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      convolutionGradients(tf.mul(dy as tf.Tensor4D, tf.step(saved[2])) as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
  };
}) as unknown as ConvFunction;

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
    this.kernelSize = options.kernelSize ?? 3;
    if (!Number.isInteger(this.kernelSize) || this.kernelSize < 1 || this.kernelSize % 2 === 0)
      throw new ConfigError(`${who}: kernelSize must be odd, got ${this.kernelSize}`);
    this.activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(this.activation)) throw new ConfigError(`${who}: unknown activation '${this.activation}'`);
    this.zeroInitLast = options.zeroInitLast ?? true;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    const random = new Random(this.seed);
    const sizes = [this.inputSize, ...this.hidden, this.outputSize];
    const k = this.kernelSize;
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const isLast = layer === sizes.length - 2;
      const [cin, cout] = [sizes[layer], sizes[layer + 1]];
      // Glorot-uniform over the receptive field: fan-in k²·C_in, fan-out k²·C_out.
      const limit = Math.sqrt(6 / (k * k * (cin + cout)));
      const values =
        isLast && this.zeroInitLast ? new Float32Array(k * k * cin * cout) : random.fillUniform(new Float32Array(k * k * cin * cout), -limit, limit);
      this.filters.push(newVariable(() => tf.tensor4d(values, [k, k, cin, cout])));
      this.biases.push(newVariable(() => tf.zeros([cout])));
    }
  }

  /**
   * `[N, H, W, inputChannels] → [N, H, W, outputChannels]`.
   *
   * Each layer is a fused convolution with its own gradient made of forward convolutions (the
   * `wasm` backend has no filter-gradient kernel for `conv2d`, and a slow input-gradient one).
   */
  apply(input: tf.Tensor4D): tf.Tensor4D {
    let h = input;
    const last = this.filters.length - 1;
    for (let layer = 0; layer <= last; layer++) {
      const filter = this.filters[layer] as tf.Tensor4D;
      const bias = this.biases[layer] as tf.Tensor1D;
      h = layer < last && this.activation === 'relu' ? convolutionRelu(h, filter, bias) : convolution(h, filter, bias);
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
