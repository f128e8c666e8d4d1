import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, Module, optionNames, Random } from '@flows/core';
import { type Activation, MLP, type VectorConditioner } from '@flows/networks';

/** Options of {@link PeriodicMLP}. */
export interface PeriodicMLPOptions {
  /** Number of leading inputs that are angles (read through cos and sin). */
  angles: number;
  /** Further inputs read as they are (a coupling's context). Default 0. */
  contextSize?: number;
  outputSize: number;
  hidden: number[];
  activation?: Activation;
  /** Zero the last layer, so that a layer using it starts as the identity (default true). */
  zeroInitLast?: boolean;
  seed?: number | Random;
}

const PERIODIC_MLP_OPTION_NAMES = optionNames<PeriodicMLPOptions>()(['angles', 'contextSize', 'outputSize', 'hidden', 'activation', 'zeroInitLast', 'seed']);

/** What a {@link PeriodicMLP} saves (the seed rebuilds its initial weights). */
export type PeriodicMLPConfig = {
  angles: number;
  contextSize: number;
  outputSize: number;
  hidden: number[];
  activation: Activation;
  zeroInitLast: boolean;
  seed: number;
};

/**
 * An MLP that reads its first `angles` inputs as `(cos θ, sin θ)`: a conditioner that is
 * 2π-periodic in every angle, so that a coupling conditioned on angles is smooth on the torus (its
 * parameters do not jump where the circle is cut at ±π), as in Rezende et al. (2020). The rest of
 * the input (a context) goes in unchanged: `[θ, c] ↦ MLP([cos θ, sin θ, c])`.
 */
export class PeriodicMLP extends Module<PeriodicMLPConfig> implements VectorConditioner {
  static override readonly className: string = 'PeriodicMLP';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly angles: number;
  readonly contextSize: number;
  readonly network: MLP;
  private readonly seed: number;

  constructor(options: PeriodicMLPOptions) {
    super();
    assertKnownOptions(options, PERIODIC_MLP_OPTION_NAMES, 'PeriodicMLP');
    assertPositiveInteger(options.angles, 'PeriodicMLP', 'angles');
    this.contextSize = options.contextSize ?? 0;
    if (!Number.isInteger(this.contextSize) || this.contextSize < 0)
      throw new ConfigError(`PeriodicMLP: contextSize must be a non-negative integer, got ${this.contextSize}`);
    this.angles = options.angles;
    this.inputSize = this.angles + this.contextSize;
    this.outputSize = options.outputSize;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    this.network = new MLP({
      inputSize: 2 * this.angles + this.contextSize,
      outputSize: options.outputSize,
      hidden: options.hidden,
      activation: options.activation,
      zeroInitLast: options.zeroInitLast ?? true,
      seed: this.seed,
    });
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    const n = input.shape[0];
    const angles = tf.slice(input, [0, 0], [n, this.angles]);
    const features = [tf.cos(angles), tf.sin(angles)];
    if (this.contextSize > 0) features.push(tf.slice(input, [0, this.angles], [n, this.contextSize]));
    return this.network.apply(tf.concat(features, 1) as tf.Tensor2D);
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  getConfig(): PeriodicMLPConfig {
    const { hidden, activation, zeroInitLast } = this.network.getConfig();
    return { angles: this.angles, contextSize: this.contextSize, outputSize: this.outputSize, hidden, activation, zeroInitLast, seed: this.seed };
  }

  static fromConfig(config: PeriodicMLPConfig): PeriodicMLP {
    return new PeriodicMLP(config);
  }
}
