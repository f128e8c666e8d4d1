import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, Module, optionNames, Random } from '@flows/core';
import { MLP } from './conditioner.js';
import type { ContextEmbedding } from './context-embedding.js';
import { ConvNet } from './conv-net.js';

/** Options of {@link ImageEmbedding}. */
export interface ImageEmbeddingOptions {
  /** Shape `[H, W, C]` of one context image. */
  imageShape: [number, number, number];
  /** Width of the embedding (the context width the flow's conditioners read). */
  outputSize: number;
  /** Channels of the convolutions (default [16, 16]); the last is the feature map's depth. */
  channels?: number[];
  /** Average-pooling factor after the convolutions (default 2; 1 keeps every pixel); must divide H and W. */
  pool?: number;
  /** Hidden widths of the dense head after flattening (default [64]). */
  hidden?: number[];
  seed?: number | Random;
}

/** What an {@link ImageEmbedding} saves: its options, with the seed as a number. */
export type ImageEmbeddingConfig = Required<Omit<ImageEmbeddingOptions, 'seed'>> & { seed: number };

const IMAGE_EMBEDDING_OPTION_NAMES = optionNames<ImageEmbeddingOptions>()(['imageShape', 'outputSize', 'channels', 'pool', 'hidden', 'seed']);

/**
 * An embedding for image contexts: a {@link ConvNet} (`same`-padded convolutions, ReLU after the
 * last one too), average pooling by `pool`, then the flattened features through an {@link MLP}
 * to `outputSize`. A flow conditioned on images reads this vector instead of every pixel, so its
 * conditioners stay small and the convolutions learn what in the image matters for the density.
 * Rows come as `[N, H, W, C]` or flat `[N, H·W·C]`.
 */
export class ImageEmbedding extends Module<ImageEmbeddingConfig> implements ContextEmbedding {
  static override readonly className: string = 'ImageEmbedding';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly contextShape: readonly number[];
  readonly convolutions: ConvNet;
  readonly head: MLP;
  private readonly config: ImageEmbeddingConfig;

  constructor(options: ImageEmbeddingOptions) {
    super();
    const who = 'ImageEmbedding';
    assertKnownOptions(options, IMAGE_EMBEDDING_OPTION_NAMES, who);
    if (!Array.isArray(options.imageShape) || options.imageShape.length !== 3) throw new ConfigError(`${who}: imageShape must be [height, width, channels]`);
    const [height, width, depth] = options.imageShape;
    assertPositiveInteger(height, who, 'imageShape[0]');
    assertPositiveInteger(width, who, 'imageShape[1]');
    assertPositiveInteger(depth, who, 'imageShape[2]');
    assertPositiveInteger(options.outputSize, who, 'outputSize');
    const channels = [...(options.channels ?? [16, 16])];
    if (channels.length === 0) throw new ConfigError(`${who}: channels must name at least one convolution`);
    channels.forEach((c, i) => assertPositiveInteger(c, who, `channels[${i}]`));
    const pool = options.pool ?? 2;
    assertPositiveInteger(pool, who, 'pool');
    if (height % pool !== 0 || width % pool !== 0) throw new ConfigError(`${who}: pool ${pool} must divide the image's height ${height} and width ${width}`);
    const seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    this.config = { imageShape: [height, width, depth], outputSize: options.outputSize, channels, pool, hidden: [...(options.hidden ?? [64])], seed };
    this.inputSize = height * width * depth;
    this.outputSize = options.outputSize;
    this.contextShape = [height, width, depth];
    const random = new Random(seed);
    const convolutionSeed = random.nextUint32();
    const headSeed = random.nextUint32();
    this.convolutions = new ConvNet({
      inputChannels: depth,
      outputChannels: channels[channels.length - 1],
      hidden: channels.slice(0, -1),
      zeroInitLast: false,
      seed: convolutionSeed,
    });
    const features = (height / pool) * (width / pool) * channels[channels.length - 1];
    this.head = new MLP({
      inputSize: features,
      outputSize: options.outputSize,
      hidden: this.config.hidden,
      zeroInitLast: false,
      seed: headSeed,
      name: 'image-embedding/head',
    });
  }

  /** `[N, H, W, C]` or `[N, H·W·C]` → `[N, outputSize]`. */
  apply(input: tf.Tensor2D | tf.Tensor4D): tf.Tensor2D {
    const n = input.shape[0];
    const [height, width, depth] = this.config.imageShape;
    if (input.size !== n * this.inputSize) {
      throw new ConfigError(
        `ImageEmbedding: each context row must be an image of shape [${height}, ${width}, ${depth}], got shape [${input.shape.join(', ')}]`,
      );
    }
    const maps = tf.relu(this.convolutions.apply(tf.reshape(input, [n, height, width, depth]) as tf.Tensor4D));
    const pool = this.config.pool;
    const c = maps.shape[3];
    // Pooling by reshape and mean: its gradient exists on every backend (wasm has no AvgPoolGrad).
    const pooled = pool === 1 ? maps : tf.mean(tf.reshape(maps, [n, height / pool, pool, width / pool, pool, c]), [2, 4]);
    return this.head.apply(tf.reshape(pooled, [n, -1]) as tf.Tensor2D);
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.convolutions.trainableVariables, ...this.head.trainableVariables];
  }

  getConfig(): ImageEmbeddingConfig {
    return { ...this.config, imageShape: [...this.config.imageShape], channels: [...this.config.channels], hidden: [...this.config.hidden] };
  }

  static fromConfig(config: ImageEmbeddingConfig): ImageEmbedding {
    return new ImageEmbedding(config);
  }
}
