import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, optionNames, type Random, sumEventAxes } from '@flows/core';
import { ConvNet } from '@flows/networks';
import { ConditionalDistribution } from './conditional-distribution.js';
import { LOG_2PI, standardNormalTensor } from './distribution.js';

/** Options of {@link ConvConditionalNormal}. */
export interface ConvConditionalNormalOptions {
  /** Image shape `[H, W, C]` of the modelled values (for a multi-scale flow, the factored-out channels). */
  shape: [number, number, number] | number[];
  /** Channels of the context image `[H, W, contextChannels]` (the channels that go on). */
  contextChannels: number;
  /** Channels of the network's hidden convolutions (default [64]; `[]` gives Glow's single convolution). */
  hidden?: number[];
  seed?: number;
}

/** Every option ConvConditionalNormal takes; others are rejected with a message that names them. */
const CONV_CONDITIONAL_NORMAL_OPTION_NAMES = optionNames<ConvConditionalNormalOptions>()(['shape', 'contextChannels', 'hidden', 'seed']);

/** What a {@link ConvConditionalNormal} saves: its shapes and its network's widths and seed. */
export type ConvConditionalNormalConfig = { shape: number[]; contextChannels: number; hidden: number[]; seed: number };

/**
 * A diagonal normal over an image's channels whose mean and log-scale a convolutional network
 * computes from other channels of the same pixels: the learned prior of the factored-out channels
 * of a multi-scale flow (Kingma and Dhariwal 2018, Glow's split prior; Dinh et al. 2017, §3.6). With
 * c the context image and `(μ, log σ) = ConvNet(c)` at every pixel,
 *
 * `log p(x | c) = Σ_{h,w,k} [−½((x_hwk − μ_hwk)/σ_hwk)² − log σ_hwk − ½ log 2π]`,
 *
 * and sampling is `x = μ + T·σ·ε` at temperature T. Events and contexts are flat rows (the H·W·C
 * values and the H·W·contextChannels values in row-major order), so it is the `factored` part of a
 * {@link FactorOutDistribution}. The network's last layer starts at zero: a fresh one is the
 * standard normal for every context, as Real NVP's unconditioned factor-out.
 */
export class ConvConditionalNormal extends ConditionalDistribution<ConvConditionalNormalConfig> {
  static override readonly className: string = 'ConvConditionalNormal';
  readonly eventShape: readonly number[];
  readonly network: ConvNet;
  private readonly imageShape: readonly [number, number, number];
  private readonly contextChannels: number;

  constructor(options: ConvConditionalNormalOptions) {
    assertKnownOptions(options, CONV_CONDITIONAL_NORMAL_OPTION_NAMES, 'ConvConditionalNormal');
    super();
    const { shape, contextChannels } = options;
    if (!Array.isArray(shape) || shape.length !== 3)
      throw new ConfigError(`ConvConditionalNormal: shape must be [height, width, channels], got ${JSON.stringify(shape)}`);
    shape.forEach((d, i) => assertPositiveInteger(d, 'ConvConditionalNormal', `shape[${i}]`));
    assertPositiveInteger(contextChannels, 'ConvConditionalNormal', 'contextChannels');
    const [h, w, c] = shape;
    this.imageShape = [h, w, c];
    this.contextChannels = contextChannels;
    this.eventShape = [h * w * c];
    this.network = new ConvNet({ inputChannels: contextChannels, outputChannels: 2 * c, hidden: options.hidden ?? [64], seed: options.seed ?? 0 });
  }

  override get contextSize(): number {
    const [h, w] = this.imageShape;
    return h * w * this.contextChannels;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  /** μ and log σ as flat rows `[N, H·W·C]`, in the events' order. */
  private parameters(context: tf.Tensor): { mean: tf.Tensor; logScale: tf.Tensor } {
    const [h, w, c] = this.imageShape;
    const n = context.shape[0];
    const out = this.network.apply(tf.reshape(context, [n, h, w, this.contextChannels]));
    const [mean, logScale] = tf.split(out, [c, c], 3);
    return { mean: tf.reshape(mean, [n, h * w * c]), logScale: tf.reshape(logScale, [n, h * w * c]) };
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const { mean, logScale } = this.parameters(this.requireContext(context));
    const z = tf.mul(tf.sub(x, mean), tf.exp(tf.neg(logScale)));
    return sumEventAxes(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logScale), 0.5 * LOG_2PI));
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    return this.unstandardizeImpl(standardNormalTensor([n, this.eventShape[0]], random, temperature), this.requireContext(context));
  }

  /** `ε = (x − μ(c)) / σ(c)`: the values as standard normal noise given the context (a latent for interpolations). */
  standardize(x: tf.Tensor, context: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const { mean, logScale } = this.parameters(context);
      return tf.mul(tf.sub(x, mean), tf.exp(tf.neg(logScale))) as tf.Tensor2D;
    });
  }

  /** `x = μ(c) + σ(c)·ε`, the inverse of {@link standardize}. */
  unstandardize(noise: tf.Tensor, context: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.unstandardizeImpl(noise, context) as tf.Tensor2D);
  }

  private unstandardizeImpl(noise: tf.Tensor, context: tf.Tensor): tf.Tensor {
    const { mean, logScale } = this.parameters(context);
    return tf.add(mean, tf.mul(noise, tf.exp(logScale)));
  }

  getConfig(): ConvConditionalNormalConfig {
    return { shape: [...this.imageShape], contextChannels: this.contextChannels, hidden: [...this.network.hidden], seed: this.network.getConfig().seed };
  }

  static fromConfig(config: ConvConditionalNormalConfig): ConvConditionalNormal {
    return new ConvConditionalNormal(config);
  }

  override dispose(): void {
    this.network.dispose();
  }
}
