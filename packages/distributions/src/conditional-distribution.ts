import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError, type Random, sumEventAxes, assertKnownOptions, optionNames } from '@flows/core';
import { type Activation, MLP } from '@flows/networks';
import { Distribution, LOG_2PI, standardNormalTensor } from './distribution.js';

/**
 * A distribution whose parameters depend on a context (a label, an encoder output…): the base of
 * conditional flows. `logProb(x, context)` and `sample(n, { context })` require the context, one
 * row per event. Subclasses compute their parameters from it.
 */
export abstract class ConditionalDistribution<Config extends object = Record<string, unknown>> extends Distribution<Config> {
  override uncheckedLogProb(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    return this.logProbImpl(x, this.requireContext(context));
  }

  override logProb(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    this.requireContext(context);
    return super.logProb(x, context);
  }

  override sample(n: number, options: { random?: Random | number; temperature?: number; context?: tf.Tensor } = {}): tf.Tensor {
    this.requireContext(options.context);
    return super.sample(n, options);
  }

  protected requireContext(context: tf.Tensor | undefined): tf.Tensor {
    if (!context) throw new BijectorInputError(`${this.className}: a context of width ${this.contextSize} is required (one row per event)`);
    return context;
  }
}

/** Options of {@link ConditionalDiagonalNormal}. */
export interface ConditionalDiagonalNormalOptions {
  size: number;
  contextSize: number;
  /** Hidden widths of the network context → (mean, log-scale) (default [32]). */
  hidden?: number[];
  activation?: Activation;
  seed?: number;
}

/** Every option ConditionalDiagonalNormal takes; others are rejected with a message that names them. */
const CONDITIONAL_DIAGONAL_NORMAL_OPTION_NAMES = optionNames<ConditionalDiagonalNormalOptions>()(['size', 'contextSize', 'hidden', 'activation', 'seed']);

/** What a {@link ConditionalDiagonalNormal} saves: its sizes and its network's shape and seed. */
export type ConditionalDiagonalNormalConfig = { size: number; contextSize: number; hidden: number[]; activation: Activation; seed: number };

/**
 * A diagonal normal whose mean and log-scale an MLP computes from the context:
 * `(μ, log σ) = net(c)`, `log p(x | c) = Σ_i [−½((x_i − μ_i)/σ_i)² − log σ_i − ½ log 2π]`.
 * The network's last layer starts at zero, so a fresh one is the standard normal for every context.
 */
export class ConditionalDiagonalNormal extends ConditionalDistribution<ConditionalDiagonalNormalConfig> {
  static override readonly className: string = 'ConditionalDiagonalNormal';
  readonly eventShape: readonly number[];
  readonly network: MLP;
  private readonly contextWidth: number;

  constructor(options: ConditionalDiagonalNormalOptions) {
    assertKnownOptions(options, CONDITIONAL_DIAGONAL_NORMAL_OPTION_NAMES, 'ConditionalDiagonalNormal');
    super();
    const { size, contextSize } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`ConditionalDiagonalNormal: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(contextSize) || contextSize <= 0)
      throw new RangeError(`ConditionalDiagonalNormal: contextSize must be a positive integer, got ${contextSize}`);
    this.eventShape = [size];
    this.contextWidth = contextSize;
    this.network = new MLP({
      inputSize: contextSize,
      outputSize: 2 * size,
      hidden: options.hidden ?? [32],
      activation: options.activation,
      seed: options.seed ?? 0,
    });
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  private parameters(context: tf.Tensor): { mean: tf.Tensor; logScale: tf.Tensor } {
    const [mean, logScale] = tf.split(this.network.apply(context as tf.Tensor2D), 2, 1);
    return { mean, logScale };
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const { mean, logScale } = this.parameters(this.requireContext(context));
    const z = tf.mul(tf.sub(x, mean), tf.exp(tf.neg(logScale)));
    return sumEventAxes(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logScale), 0.5 * LOG_2PI));
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    const { mean, logScale } = this.parameters(this.requireContext(context));
    return tf.add(mean, tf.mul(standardNormalTensor([n, this.eventShape[0]], random, temperature), tf.exp(logScale)));
  }

  getConfig(): ConditionalDiagonalNormalConfig {
    return {
      size: this.eventShape[0],
      contextSize: this.contextSize,
      hidden: this.network.hidden,
      activation: this.network.activation,
      seed: this.network.getConfig().seed,
    };
  }

  static fromConfig(config: ConditionalDiagonalNormalConfig): ConditionalDiagonalNormal {
    return new ConditionalDiagonalNormal(config);
  }

  override dispose(): void {
    this.network.dispose();
  }
}
