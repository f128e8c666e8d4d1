import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, Module, optionNames, Random } from '@flows/core';
import { MLP } from './conditioner.js';
import type { ContextEmbedding } from './context-embedding.js';
import { ACTIVATIONS, type Activation } from './dense.js';

/** How {@link DeepSets} pools its elements' features. */
export type SetPooling = 'mean' | 'sum';

/** Options of {@link DeepSets}. */
export interface DeepSetsOptions {
  /** Elements per set S (a context row holds S·E values). */
  setSize: number;
  /** Values per element E. */
  elementSize: number;
  /** Width of the embedding (the context width the flow's conditioners read). */
  outputSize: number;
  /** Hidden widths of the per-element network φ (default [64, 64]). */
  elementHidden?: number[];
  /** Width of each element's features, the pooled vector (default 64). */
  featureSize?: number;
  /** Hidden widths of the network ρ after pooling (default [64]). */
  hidden?: number[];
  /** `mean` (default: the embedding does not grow with S) or `sum`. */
  pooling?: SetPooling;
  activation?: Activation;
  seed?: number | Random;
}

/** What a {@link DeepSets} saves: its options, with the seed as the number that rebuilds its initial weights. */
export type DeepSetsConfig = Required<Omit<DeepSetsOptions, 'seed'>> & { seed: number };

const DEEP_SETS_OPTION_NAMES = optionNames<DeepSetsOptions>()([
  'setSize',
  'elementSize',
  'outputSize',
  'elementHidden',
  'featureSize',
  'hidden',
  'pooling',
  'activation',
  'seed',
]);

/**
 * A permutation-invariant encoder of sets (Zaheer et al. 2017, "Deep Sets"):
 * `e(x_1…x_S) = ρ(pool_i φ(x_i))`, φ one MLP applied to every element, the pooling a mean or a
 * sum, ρ an MLP. For contexts that are sets of independent observations (simulation-based
 * inference with several trials): the order of the observations cannot change the embedding, so
 * the flow need not learn that symmetry from data. Rows come as `[N, S, E]` or flat `[N, S·E]`.
 * Both networks start with random last layers, unlike a coupling's conditioner: an embedding that
 * output zeros would pass no gradient to its first layers.
 */
export class DeepSets extends Module<DeepSetsConfig> implements ContextEmbedding {
  static override readonly className: string = 'DeepSets';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly contextShape: readonly number[];
  readonly pooling: SetPooling;
  readonly element: MLP;
  readonly head: MLP;
  private readonly config: DeepSetsConfig;

  constructor(options: DeepSetsOptions) {
    super();
    const who = 'DeepSets';
    assertKnownOptions(options, DEEP_SETS_OPTION_NAMES, who);
    assertPositiveInteger(options.setSize, who, 'setSize');
    assertPositiveInteger(options.elementSize, who, 'elementSize');
    assertPositiveInteger(options.outputSize, who, 'outputSize');
    const featureSize = options.featureSize ?? 64;
    assertPositiveInteger(featureSize, who, 'featureSize');
    const pooling = options.pooling ?? 'mean';
    if (pooling !== 'mean' && pooling !== 'sum') throw new ConfigError(`${who}: pooling must be 'mean' or 'sum', got '${String(pooling)}'`);
    const activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(activation)) throw new ConfigError(`${who}: unknown activation '${activation}'; expected one of ${ACTIVATIONS.join(', ')}`);
    const seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    this.config = {
      setSize: options.setSize,
      elementSize: options.elementSize,
      outputSize: options.outputSize,
      elementHidden: [...(options.elementHidden ?? [64, 64])],
      featureSize,
      hidden: [...(options.hidden ?? [64])],
      pooling,
      activation,
      seed,
    };
    this.inputSize = options.setSize * options.elementSize;
    this.outputSize = options.outputSize;
    this.contextShape = [options.setSize, options.elementSize];
    this.pooling = pooling;
    const random = new Random(seed);
    const elementSeed = random.nextUint32();
    const headSeed = random.nextUint32();
    this.element = new MLP({
      inputSize: options.elementSize,
      outputSize: featureSize,
      hidden: this.config.elementHidden,
      activation,
      zeroInitLast: false,
      seed: elementSeed,
      name: 'deepsets/element',
    });
    this.head = new MLP({
      inputSize: featureSize,
      outputSize: options.outputSize,
      hidden: this.config.hidden,
      activation,
      zeroInitLast: false,
      seed: headSeed,
      name: 'deepsets/head',
    });
  }

  /** `[N, S, E]` or `[N, S·E]` → `[N, outputSize]`. */
  apply(input: tf.Tensor2D | tf.Tensor3D): tf.Tensor2D {
    const n = input.shape[0];
    const { setSize, elementSize, featureSize } = this.config;
    if (input.size !== n * this.inputSize) {
      throw new ConfigError(`DeepSets: each context row must hold ${setSize} elements of ${elementSize} values, got shape [${input.shape.join(', ')}]`);
    }
    const features = this.element.apply(tf.reshape(input, [n * setSize, elementSize]) as tf.Tensor2D);
    const perSet = tf.reshape(features, [n, setSize, featureSize]);
    const pooled = (this.pooling === 'mean' ? tf.mean(perSet, 1) : tf.sum(perSet, 1)) as tf.Tensor2D;
    return this.head.apply(pooled);
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.element.trainableVariables, ...this.head.trainableVariables];
  }

  getConfig(): DeepSetsConfig {
    return { ...this.config, elementHidden: [...this.config.elementHidden], hidden: [...this.config.hidden] };
  }

  static fromConfig(config: DeepSetsConfig): DeepSets {
    return new DeepSets(config);
  }
}
