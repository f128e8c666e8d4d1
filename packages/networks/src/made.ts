import * as tf from '@tensorflow/tfjs-core';
import { Module, assertKnownOptions, assertPositiveInteger, ConfigError, newVariable, optionNames, Random } from '@flows/core';
import type { VectorConditioner } from './conditioner.js';
import { ACTIVATIONS, type Activation, applyActivation, dense, glorotUniform, layerVariables } from './dense.js';

/** Options of {@link MADE}. */
export interface MADEOptions {
  /** Number of autoregressive inputs D. */
  inputSize: number;
  /** Outputs per input (the transformer's parameter count; 2 for affine). Default 2. */
  outputsPerInput?: number;
  /**
   * Hidden layer widths (default [64, 64]); each must be at least D − 1 for full connectivity (D
   * with a context, whose own units take one degree more).
   */
  hidden?: number[];
  activation?: Activation;
  /**
   * The autoregressive order: `order[i]` is the position (1…D) of input i, so output block i
   * depends only on inputs j with `order[j] < order[i]`. Default: the natural order 1…D.
   */
  order?: number[];
  /**
   * Explicit degrees of the D inputs instead of `order`: positive integers, ties allowed (inputs of
   * one degree are sampled in the same pass; the output block of input i depends on the inputs of
   * lower degree). For networks trained elsewhere, whose masks group inputs (zuko's `passes`).
   */
  inputDegrees?: number[];
  /**
   * Explicit degrees of the hidden units, one array per hidden layer with that layer's width
   * (non-negative integers; 0 sees only the context), instead of the cyclic 1…D−1 assignment:
   * the degrees another library drew, so that its trained weights keep their masks.
   */
  hiddenDegrees?: number[][];
  /** Width of a context that every hidden unit sees (conditional MADE). Default 0. */
  contextSize?: number;
  /**
   * With a context and the cyclic hidden degrees: whether the cycle runs over 0…D−1 rather than
   * 1…D−1 (default true). Units of degree 0 see the context alone, and they are the only units the
   * first block in the order may see: without them that block's outputs are constants, so a
   * conditional flow could neither shift nor scale its first coordinate by the context (nflows'
   * MADE has that limit; zuko's MaskedMLP gives the context its own units). `false` rebuilds the masks of the
   * MADEs saved before the option existed, whose configs lack it.
   */
  contextOnlyUnits?: boolean;
  /** Zero the last layer, so the outputs start at 0 (default true). */
  zeroInitLast?: boolean;
  seed?: number | Random;
}

/**
 * What a {@link MADE} saves: its options, with the order and the seed made explicit; explicit
 * degrees only when they were given (then `order` is absent).
 */
export type MADEConfig = Omit<Required<Omit<MADEOptions, 'seed' | 'inputDegrees' | 'hiddenDegrees' | 'contextOnlyUnits'>>, 'order'> & {
  order?: number[];
  /** Present where it decides the masks: with a context and the cyclic hidden degrees. */
  contextOnlyUnits?: boolean;
  inputDegrees?: number[];
  hiddenDegrees?: number[][];
  seed: number;
};

/** Every option MADE takes; others are rejected with a message that names them. */
const M_A_D_E_OPTION_NAMES = optionNames<MADEOptions>()([
  'inputSize',
  'outputsPerInput',
  'hidden',
  'activation',
  'order',
  'inputDegrees',
  'hiddenDegrees',
  'contextSize',
  'contextOnlyUnits',
  'zeroInitLast',
  'seed',
]);

/**
 * MADE (Germain, Gregor, Murray and Larochelle, "MADE: Masked Autoencoder for Distribution
 * Estimation", ICML 2015): a fully connected network whose weight masks make output block i a
 * function of the inputs before i in the order only.
 *
 * Input j gets degree `order[j]`, hidden unit k a degree `m_k` in 1…D−1 (assigned cyclically, so
 * every degree is present when the layer has at least D − 1 units); a hidden weight connects
 * when the degree does not decrease, an output weight of block i when `order[i] > m_k`. Context
 * inputs have degree 0 and reach every hidden unit; with a context the cycle also gives units of
 * degree 0 (0…D−1), which see the context alone and carry it to the first block in the order,
 * so every output depends on the context (`contextOnlyUnits`). Outputs are laid out block by block:
 * `[N, D · outputsPerInput]` reshapes to `[N, D, outputsPerInput]`. `inputDegrees` and
 * `hiddenDegrees` replace the order and the cyclic assignment with given degrees (same rules).
 */
export class MADE extends Module<MADEConfig> implements VectorConditioner {
  static override readonly className: string = 'MADE';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly autoregressiveSize: number;
  readonly outputsPerInput: number;
  readonly contextSize: number;
  readonly hidden: number[];
  readonly activation: Activation;
  /** The degree of each input: the order (a permutation of 1…D), or the explicit `inputDegrees`. */
  readonly order: number[];
  /** The explicit hidden degrees, when given. */
  readonly hiddenDegrees: number[][] | null;
  private readonly explicitInputDegrees: boolean;
  /** Whether the cyclic hidden degrees start at 0 (see {@link MADEOptions.contextOnlyUnits}). */
  readonly contextOnlyUnits: boolean;
  readonly zeroInitLast: boolean;
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  private readonly masks: tf.Tensor2D[] = [];
  private readonly seed: number;

  constructor(options: MADEOptions) {
    super();
    assertKnownOptions(options, M_A_D_E_OPTION_NAMES, 'MADE');
    const who = 'MADE';
    assertPositiveInteger(options.inputSize, who, 'inputSize');
    const d = options.inputSize;
    this.autoregressiveSize = d;
    this.outputsPerInput = options.outputsPerInput ?? 2;
    assertPositiveInteger(this.outputsPerInput, who, 'outputsPerInput');
    this.contextSize = options.contextSize ?? 0;
    if (!Number.isInteger(this.contextSize) || this.contextSize < 0)
      throw new ConfigError(`${who}: contextSize must be a non-negative integer, got ${this.contextSize}`);
    this.hidden = [...(options.hidden ?? [64, 64])];
    this.hidden.forEach((h, i) => assertPositiveInteger(h, who, `hidden[${i}]`));
    this.activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(this.activation)) throw new ConfigError(`${who}: unknown activation '${this.activation}'`);
    if (options.inputDegrees !== undefined && options.order !== undefined) throw new ConfigError(`${who}: give order or inputDegrees, not both`);
    this.explicitInputDegrees = options.inputDegrees !== undefined;
    if (options.inputDegrees !== undefined) {
      const degrees = options.inputDegrees;
      if (!Array.isArray(degrees) || degrees.length !== d || degrees.some((v) => !Number.isInteger(v) || v < 1)) {
        throw new ConfigError(`${who}: inputDegrees must be ${d} positive integers, got ${JSON.stringify(degrees)}`);
      }
      this.order = [...degrees];
    } else {
      this.order = options.order ? [...options.order] : Array.from({ length: d }, (_, i) => i + 1);
      const sorted = [...this.order].sort((a, b) => a - b);
      if (this.order.length !== d || sorted.some((v, i) => v !== i + 1)) {
        throw new ConfigError(`${who}: order must be a permutation of 1…${d}, got [${this.order.join(', ')}]`);
      }
    }
    this.hiddenDegrees = options.hiddenDegrees === undefined ? null : options.hiddenDegrees.map((layer) => [...layer]);
    if (this.hiddenDegrees !== null) {
      const given = this.hiddenDegrees;
      const fits = given.length === this.hidden.length && given.every((layer, i) => Array.isArray(layer) && layer.length === this.hidden[i]);
      if (!fits || given.some((layer) => layer.some((v) => !Number.isInteger(v) || v < 0))) {
        throw new ConfigError(`${who}: hiddenDegrees must give one non-negative integer per hidden unit of each layer [${this.hidden.join(', ')}]`);
      }
    }
    if (options.contextOnlyUnits !== undefined && typeof options.contextOnlyUnits !== 'boolean')
      throw new ConfigError(`${who}: contextOnlyUnits must be true or false, got ${JSON.stringify(options.contextOnlyUnits)}`);
    this.contextOnlyUnits = this.contextSize > 0 && this.hiddenDegrees === null && (options.contextOnlyUnits ?? true);
    this.zeroInitLast = options.zeroInitLast ?? true;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    this.inputSize = d + this.contextSize;
    this.outputSize = d * this.outputsPerInput;

    const random = new Random(this.seed);
    // The cycle's lowest degree: 0 gives the context units of its own (see contextOnlyUnits).
    const lowest = this.contextOnlyUnits ? 0 : 1;
    const cycle = d - lowest;
    const inputDegrees = [...this.order, ...new Array<number>(this.contextSize).fill(0)];
    let previous = inputDegrees;
    const sizes = [this.inputSize, ...this.hidden, this.outputSize];
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const isLast = layer === sizes.length - 2;
      const fanIn = sizes[layer];
      const fanOut = sizes[layer + 1];
      const degrees = isLast
        ? Array.from({ length: fanOut }, (_, j) => this.order[Math.floor(j / this.outputsPerInput)])
        : (this.hiddenDegrees?.[layer] ?? Array.from({ length: fanOut }, (_, k) => (cycle === 0 ? 1 : (k % cycle) + lowest)));
      const mask = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < fanIn; i++) {
        for (let j = 0; j < fanOut; j++) mask[i * fanOut + j] = (isLast ? degrees[j] > previous[i] : degrees[j] >= previous[i]) ? 1 : 0;
      }
      const values = isLast && this.zeroInitLast ? new Float32Array(fanIn * fanOut) : glorotUniform(fanIn, fanOut, random);
      for (let i = 0; i < values.length; i++) values[i] *= mask[i];
      this.masks.push(tf.keep(tf.tensor2d(mask, [fanIn, fanOut])));
      this.weights.push(newVariable(() => tf.tensor2d(values, [fanIn, fanOut])));
      this.biases.push(newVariable(() => tf.zeros([fanOut])));
      previous = degrees;
    }
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    let h = input;
    const last = this.weights.length - 1;
    for (let layer = 0; layer <= last; layer++) {
      // The mask multiplies the weight on every call, so gradients never grow masked entries.
      h = dense(h, tf.mul(this.weights[layer], this.masks[layer]) as tf.Tensor2D, this.biases[layer] as tf.Tensor1D);
      if (layer < last) h = applyActivation(h, this.activation) as tf.Tensor2D;
    }
    return h;
  }

  override get trainableVariables(): tf.Variable[] {
    return layerVariables(this.weights, this.biases);
  }

  getConfig(): MADEConfig {
    return {
      inputSize: this.autoregressiveSize,
      outputsPerInput: this.outputsPerInput,
      hidden: this.hidden,
      activation: this.activation,
      ...(this.explicitInputDegrees ? { inputDegrees: this.order } : { order: this.order }),
      ...(this.hiddenDegrees ? { hiddenDegrees: this.hiddenDegrees } : {}),
      contextSize: this.contextSize,
      ...(this.contextSize > 0 && this.hiddenDegrees === null ? { contextOnlyUnits: this.contextOnlyUnits } : {}),
      zeroInitLast: this.zeroInitLast,
      seed: this.seed,
    };
  }

  static fromConfig(config: MADEConfig): MADE {
    // A config without the key was saved before it existed: its first block ignored the context,
    // and its trained weights keep those masks.
    return new MADE({ ...config, contextOnlyUnits: config.contextOnlyUnits ?? false });
  }

  override dispose(): void {
    super.dispose();
    for (const m of this.masks) if (!m.isDisposed) m.dispose();
  }
}
