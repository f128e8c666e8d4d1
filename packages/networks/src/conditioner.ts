import * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, assertPositiveInteger, ConfigError, newVariable, optionNames, Random } from '@flows/core';
import { ACTIVATIONS, type Activation, applyActivation, dense, denseRelu, glorotUniform, layerVariables } from './dense.js';

/**
 * What every conditioner is: a network that a coupling or autoregressive bijector uses to compute
 * its parameters. It receives the (masked) input, with the context joined to it when there is one.
 */
export interface ConditionerBase {
  readonly className: string;
  /** Input width (vectors) or input channels (images). */
  readonly inputSize: number;
  /** Output width (vectors) or output channels (images). */
  readonly outputSize: number;
  readonly trainableVariables: tf.Variable[];
  getConfig(): object;
  dispose(): void;
}

/** A conditioner over flat rows: `[N, inputSize] → [N, outputSize]` (MLP, MADE). */
export interface VectorConditioner extends ConditionerBase {
  readonly acceptsImages?: false;
  apply(input: tf.Tensor2D): tf.Tensor2D;
}

/**
 * A conditioner over images: `[N, H, W, inputSize] → [N, H, W, outputSize]` (ConvNet); the
 * context, when there is one, arrives as extra constant channels.
 */
export interface ImageConditioner extends ConditionerBase {
  readonly acceptsImages: true;
  apply(input: tf.Tensor4D): tf.Tensor4D;
}

/** A vector or an image conditioner; `acceptsImages` tells which. */
export type Conditioner = VectorConditioner | ImageConditioner;

/** Options of the built-in {@link MLP} conditioner. */
export interface MLPOptions {
  inputSize: number;
  outputSize: number;
  /** Hidden layer widths, e.g. `[256, 256]`. May be empty (a single affine map). */
  hidden: number[];
  activation?: Activation;
  /** Zero the last layer so that the network outputs 0 and its coupling starts as the identity. */
  zeroInitLast?: boolean;
  /** Seed (or generator) for the initial weights. */
  seed?: number | Random;
  /** A prefix for variable names, to make saved weights readable. */
  name?: string;
}

/** What an {@link MLP} saves: its options, with the seed as the number that rebuilds its initial weights. */
export type MLPConfig = Required<Omit<MLPOptions, 'seed' | 'name'>> & { seed: number };

let mlpCounter = 0;

/** Every option MLP takes; others are rejected with a message that names them. */
const M_L_P_OPTION_NAMES = optionNames<MLPOptions>()(['inputSize', 'outputSize', 'hidden', 'activation', 'zeroInitLast', 'seed', 'name']);

/**
 * A fully connected network `input → hidden… → output` whose dense layers use
 * {@link dense} (own gradient, fast on every backend). The last layer is linear.
 */
export class MLP extends Module<MLPConfig> implements VectorConditioner {
  static override readonly className: string = 'MLP';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly hidden: number[];
  readonly activation: Activation;
  readonly zeroInitLast: boolean;
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  private readonly seed: number;

  constructor(options: MLPOptions) {
    super();
    assertKnownOptions(options, M_L_P_OPTION_NAMES, 'MLP');
    const who = 'MLP';
    assertPositiveInteger(options.inputSize, who, 'inputSize');
    assertPositiveInteger(options.outputSize, who, 'outputSize');
    if (!Array.isArray(options.hidden)) throw new ConfigError(`${who}: hidden must be an array of layer widths`);
    options.hidden.forEach((h, i) => assertPositiveInteger(h, who, `hidden[${i}]`));
    const activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(activation)) {
      throw new ConfigError(`${who}: unknown activation '${activation}'; expected one of ${ACTIVATIONS.join(', ')}`);
    }
    this.inputSize = options.inputSize;
    this.outputSize = options.outputSize;
    this.hidden = [...options.hidden];
    this.activation = activation;
    this.zeroInitLast = options.zeroInitLast ?? true;
    // A generator is turned into a stored number so that the config rebuilds the same initial weights.
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    const initRandom = new Random(this.seed);
    const name = options.name ?? `mlp${mlpCounter++}`;
    const sizes = [this.inputSize, ...this.hidden, this.outputSize];
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const fanIn = sizes[layer];
      const fanOut = sizes[layer + 1];
      const isLast = layer === sizes.length - 2;
      const values = isLast && this.zeroInitLast ? new Float32Array(fanIn * fanOut) : glorotUniform(fanIn, fanOut, initRandom);
      this.weights.push(newVariable(() => tf.tensor2d(values, [fanIn, fanOut]), true, `${name}/dense${layer}/kernel_${uniqueSuffix()}`));
      this.biases.push(newVariable(() => tf.zeros([fanOut]), true, `${name}/dense${layer}/bias_${uniqueSuffix()}`));
    }
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    let h = input;
    const last = this.weights.length - 1;
    for (let layer = 0; layer <= last; layer++) {
      const weight = this.weights[layer] as tf.Tensor2D;
      const bias = this.biases[layer] as tf.Tensor1D;
      if (layer < last && this.activation === 'relu') {
        h = denseRelu(h, weight, bias);
      } else {
        h = dense(h, weight, bias);
        if (layer < last) h = applyActivation(h, this.activation) as tf.Tensor2D;
      }
    }
    return h;
  }

  override get trainableVariables(): tf.Variable[] {
    return layerVariables(this.weights, this.biases);
  }

  getConfig(): MLPConfig {
    return {
      inputSize: this.inputSize,
      outputSize: this.outputSize,
      hidden: this.hidden,
      activation: this.activation,
      zeroInitLast: this.zeroInitLast,
      seed: this.seed,
    };
  }

  static fromConfig(config: MLPConfig): MLP {
    return new MLP(config);
  }
}

/**
 * Wraps a plain function as a conditioner (no weights). Handy for tests and fixed maps; it cannot
 * be serialized.
 */
export class FunctionConditioner extends Module<never> implements VectorConditioner {
  static override readonly className: string = 'FunctionConditioner';
  constructor(
    private readonly fn: (input: tf.Tensor2D) => tf.Tensor2D,
    readonly inputSize: number,
    readonly outputSize: number,
  ) {
    super();
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    return this.fn(input);
  }

  getConfig(): never {
    throw new ConfigError('FunctionConditioner wraps a JavaScript function and cannot be serialized; use MLP or a registered conditioner');
  }
}

let variableCounter = 0;
/** tf.variable names must be unique per engine; saved weights use positions, not names. */
function uniqueSuffix(): number {
  return variableCounter++;
}
