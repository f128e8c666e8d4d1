import * as tf from '@tensorflow/tfjs';
import { newVariable } from './bijector.js';
import type { Conditioner } from './conditioner.js';
import { ACTIVATIONS, type Activation, applyActivation, dense, denseRelu, layerVariables } from './dense.js';

/** The k × k neighbourhoods of every pixel ('same' zero padding) as rows `[N·H·W, k·k·C]`, ordered (dy, dx, c) like a conv2d filter. */
function patches(x: tf.Tensor4D, k: number): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  if (k === 1) return tf.reshape(x, [n * h * w, c]);
  const p = (k - 1) / 2;
  const padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
  const shifted: tf.Tensor[] = [];
  for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) shifted.push(tf.slice(padded, [0, dy, dx, 0], [n, h, w, c]));
  return tf.reshape(tf.concat(shifted, 3), [n * h * w, k * k * c]);
}
import { ConfigError } from './errors.js';
import { Random } from './random.js';
// Glorot-uniform over the receptive field: fan-in k²·C_in, fan-out k²·C_out.
import { assertPositiveInteger } from './validation.js';

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

/**
 * A small convolutional conditioner for image-shaped couplings (Real NVP, Glow): `same`-padded
 * convolutions `[N, H, W, inputChannels] → hidden… → [N, H, W, outputChannels]`, the last linear.
 * Couplings on `[H, W, C]` events build one by default; `inputSize`/`outputSize` are channel counts.
 */
export class ConvNet implements Conditioner {
  readonly className = 'ConvNet';
  readonly acceptsImages = true;
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
    const who = 'ConvNet';
    assertPositiveInteger(options.inputChannels, who, 'inputChannels');
    assertPositiveInteger(options.outputChannels, who, 'outputChannels');
    this.inputSize = options.inputChannels;
    this.outputSize = options.outputChannels;
    this.hidden = [...(options.hidden ?? [64, 64])];
    this.hidden.forEach((h, i) => assertPositiveInteger(h, who, `hidden[${i}]`));
    this.kernelSize = options.kernelSize ?? 3;
    if (!Number.isInteger(this.kernelSize) || this.kernelSize < 1 || this.kernelSize % 2 === 0) throw new ConfigError(`${who}: kernelSize must be odd, got ${this.kernelSize}`);
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
      const limit = Math.sqrt(6 / (k * k * (cin + cout)));
      const values = isLast && this.zeroInitLast ? new Float32Array(k * k * cin * cout) : random.fillUniform(new Float32Array(k * k * cin * cout), -limit, limit);
      this.filters.push(newVariable(() => tf.tensor4d(values, [k, k, cin, cout])));
      this.biases.push(newVariable(() => tf.zeros([cout])));
    }
  }

  /**
   * `[N, H, W, inputChannels] → [N, H, W, outputChannels]` (typed as the interface's 2-D rows).
   *
   * Each convolution runs as patches times a matrix (im2col) through {@link dense}: the `wasm`
   * backend has no filter gradient for `conv2d` (Conv2DBackpropFilter), and `dense` has its own
   * fast gradient on every backend. Same values as `tf.conv2d(x, filter, 1, 'same')`.
   */
  apply(input: tf.Tensor2D): tf.Tensor2D {
    let h = input as unknown as tf.Tensor4D;
    const [n, height, width] = h.shape;
    const k = this.kernelSize;
    const last = this.filters.length - 1;
    for (let layer = 0; layer <= last; layer++) {
      const [, , cin, cout] = this.filters[layer].shape;
      const weight = tf.reshape(this.filters[layer], [k * k * cin, cout]) as tf.Tensor2D;
      const rows = layer < last && this.activation === 'relu' ? denseRelu(patches(h, k), weight, this.biases[layer] as tf.Tensor1D) : dense(patches(h, k), weight, this.biases[layer] as tf.Tensor1D);
      h = tf.reshape(rows, [n, height, width, cout]);
      if (layer < last && this.activation !== 'relu') h = applyActivation(h, this.activation) as tf.Tensor4D;
    }
    return h as unknown as tf.Tensor2D;
  }

  get trainableVariables(): tf.Variable[] {
    return layerVariables(this.filters, this.biases);
  }

  getConfig(): Record<string, unknown> {
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

  static fromConfig(config: Record<string, unknown>): ConvNet {
    return new ConvNet(config as unknown as ConvNetOptions);
  }

  dispose(): void {
    for (const v of this.trainableVariables) if (!v.isDisposed) v.dispose();
  }
}
