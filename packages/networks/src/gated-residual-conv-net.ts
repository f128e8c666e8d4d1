import * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, assertPositiveInteger, ConfigError, optionNames, Random } from '@flows/core';
import { convolutionLayer } from '@flows/kernels';
import type { ImageConditioner } from './conditioner.js';
import { checkImageInput, checkedKernelSize, convolutionVariables } from './convolution-filters.js';
import { layerVariables } from './dense.js';

/** Options of {@link GatedResidualConvNet}. */
export interface GatedResidualConvNetOptions {
  inputChannels: number;
  outputChannels: number;
  /** Channels of the residual stream and of every block (default 64). */
  channels?: number;
  /** Gated residual blocks (default 2). */
  blocks?: number;
  /** Odd kernel size of every convolution (default 3); padding keeps the height and width. */
  kernelSize?: number;
  /** Zero the last convolution, so its coupling starts as the identity (default true). */
  zeroInitLast?: boolean;
  seed?: number | Random;
}

/** What a {@link GatedResidualConvNet} saves: its options, with the seed as a number. */
export type GatedResidualConvNetConfig = Required<Omit<GatedResidualConvNetOptions, 'seed'>> & { seed: number };

const GATED_RESIDUAL_OPTION_NAMES = optionNames<GatedResidualConvNetOptions>()([
  'inputChannels',
  'outputChannels',
  'channels',
  'blocks',
  'kernelSize',
  'zeroInitLast',
  'seed',
]);

/** Concatenated ELU (Shang et al. 2016; PixelCNN++): `elu([h, −h])` along the channels, twice the channels, no information lost to the nonlinearity. */
function concatElu(h: tf.Tensor4D): tf.Tensor4D {
  return tf.elu(tf.concat([h, tf.neg(h)], 3)) as tf.Tensor4D;
}

/**
 * The gated residual convolutional conditioner of Flow++ (Ho, Chen, Srinivas, Duan and Abbeel 2019,
 * §3.3), after the gated ResNet blocks of PixelCNN++ (Salimans et al. 2017): `[N, H, W,
 * inputChannels] → [N, H, W, outputChannels]`, with a residual stream of `channels` channels:
 *
 * - `h₀ = conv(x)`
 * - each block: `a = conv(concatElu(h))`, `[g₁, g₂] = conv(concatElu(a))` (2·channels, split in
 *   two), `h ← h + g₁ ⊙ σ(g₂)`
 * - `out = conv(concatElu(h_B))`, zero at the start (`zeroInitLast`), so a coupling built on it
 *   starts as the identity.
 *
 * Every convolution is k × k, stride 1, `same` padding, through `convolutionLayer` of
 * `@flows/kernels` (its fused kernels and gradient on every backend). The gate lets a block start
 * near the identity and pass or block each channel per pixel; `concatElu` keeps both signs of the
 * stream. Flow++ also puts multi-head self-attention and layer normalisation in each block: they
 * are left out here (attention over 14 × 14 positions costs more than the convolutions on a CPU).
 */
export class GatedResidualConvNet extends Module<GatedResidualConvNetConfig> implements ImageConditioner {
  static override readonly className: string = 'GatedResidualConvNet';
  readonly acceptsImages = true as const;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly channels: number;
  readonly blocks: number;
  readonly kernelSize: number;
  readonly zeroInitLast: boolean;
  /** Filters in order: the input convolution, two per block, the output convolution. */
  readonly filters: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  private readonly seed: number;

  constructor(options: GatedResidualConvNetOptions) {
    super();
    const who = 'GatedResidualConvNet';
    assertKnownOptions(options, GATED_RESIDUAL_OPTION_NAMES, who);
    assertPositiveInteger(options.inputChannels, who, 'inputChannels');
    assertPositiveInteger(options.outputChannels, who, 'outputChannels');
    this.inputSize = options.inputChannels;
    this.outputSize = options.outputChannels;
    this.channels = options.channels ?? 64;
    assertPositiveInteger(this.channels, who, 'channels');
    this.blocks = options.blocks ?? 2;
    if (!Number.isInteger(this.blocks) || this.blocks < 0) throw new ConfigError(`${who}: blocks must be a whole number ≥ 0, got ${this.blocks}`);
    this.kernelSize = checkedKernelSize(options.kernelSize, who);
    this.zeroInitLast = options.zeroInitLast ?? true;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    const random = new Random(this.seed);
    const c = this.channels;
    const shapes: [number, number][] = [[this.inputSize, c]];
    for (let b = 0; b < this.blocks; b++) shapes.push([2 * c, c], [2 * c, 2 * c]);
    shapes.push([2 * c, this.outputSize]);
    const k = this.kernelSize;
    shapes.forEach(([cin, cout], layer) => {
      const [filter, bias] = convolutionVariables(k, cin, cout, random, layer === shapes.length - 1 && this.zeroInitLast);
      this.filters.push(filter);
      this.biases.push(bias);
    });
  }

  private layer(index: number, input: tf.Tensor4D): tf.Tensor4D {
    return convolutionLayer(input, this.filters[index] as tf.Tensor4D, this.biases[index] as tf.Tensor1D, 'linear');
  }

  /** `[N, H, W, inputChannels] → [N, H, W, outputChannels]`. */
  apply(input: tf.Tensor4D): tf.Tensor4D {
    checkImageInput(input, this.inputSize, 'GatedResidualConvNet.apply');
    let h = this.layer(0, input);
    for (let b = 0; b < this.blocks; b++) {
      const a = this.layer(1 + 2 * b, concatElu(h));
      const [value, gate] = tf.split(this.layer(2 + 2 * b, concatElu(a)), 2, 3);
      h = tf.add(h, tf.mul(value, tf.sigmoid(gate)));
    }
    return this.layer(this.filters.length - 1, concatElu(h));
  }

  override get trainableVariables(): tf.Variable[] {
    return layerVariables(this.filters, this.biases);
  }

  getConfig(): GatedResidualConvNetConfig {
    return {
      inputChannels: this.inputSize,
      outputChannels: this.outputSize,
      channels: this.channels,
      blocks: this.blocks,
      kernelSize: this.kernelSize,
      zeroInitLast: this.zeroInitLast,
      seed: this.seed,
    };
  }

  static fromConfig(config: GatedResidualConvNetConfig): GatedResidualConvNet {
    return new GatedResidualConvNet(config);
  }
}
