import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, Module, newVariable, optionNames } from '@flows/core';
import { ACTIVATIONS, type Activation, applyActivation, dense, type VectorConditioner } from '@flows/networks';

/** Masks of a {@link TorchNetwork} as MADE degrees (Germain et al. 2015). */
export interface TorchNetworkDegrees {
  /** Degree of each of the `inputSize` main inputs (positive; the context has degree 0 and reaches every unit). */
  inputs: number[];
  /** Degrees of each hidden layer's units, in the order the layers run (initial, then each block's layers). */
  hidden: number[][];
  /** Outputs per input: output o belongs to input ⌊o / outputsPerInput⌋ and has its degree. */
  outputsPerInput: number;
}

/** Options of {@link TorchNetwork}. */
export interface TorchNetworkOptions {
  /** Width of the main input (the context comes after it). */
  inputSize: number;
  contextSize?: number;
  outputSize: number;
  /** Width of every hidden layer. */
  hidden: number;
  /** Number of blocks after the initial layer: one layer each, or two with a skip connection when `residual`. */
  blocks: number;
  residual?: boolean;
  activation?: Activation;
  /** Feed-forward networks: whether the initial layer is followed by the activation (nflows: yes; normflows' MADE: no). */
  initialActivation?: boolean;
  /** The context's term in the initial layer: `c W + b`, or `act(c W + b)` (nflows' MADE). */
  contextEntry?: 'linear' | 'activated';
  /**
   * The context in residual blocks: none, added after the block's first layer (nflows' MADE), or a
   * gate `⊙ sigmoid(c W + b)` after its second (nflows' ResidualNet, normflows' MADE).
   */
  blockContext?: 'none' | 'add' | 'gate';
  /** MADE degrees, for autoregressive networks; every weight is multiplied by its mask. */
  degrees?: TorchNetworkDegrees;
}

/** What a {@link TorchNetwork} saves (every option, made explicit). */
export type TorchNetworkConfig = Required<Omit<TorchNetworkOptions, 'degrees'>> & { degrees: TorchNetworkDegrees | null };

const TORCH_NETWORK_OPTION_NAMES = optionNames<TorchNetworkOptions>()([
  'inputSize',
  'contextSize',
  'outputSize',
  'hidden',
  'blocks',
  'residual',
  'activation',
  'initialActivation',
  'contextEntry',
  'blockContext',
  'degrees',
]);

/** One dense layer: its weight `[in, out]` (`x W`), bias and, in masked networks, its mask. */
interface Layer {
  weight: tf.Variable;
  bias: tf.Variable;
  mask: tf.Tensor2D | null;
}

/**
 * The conditioner networks of nflows and normflows that the flows project's MLP and MADE do not
 * express: residual networks (`ResidualNet`, the residual MADE) and MADEs whose context enters
 * through its own, activated layer. Layer by layer, with h the hidden state, x the main input
 * and c the context:
 *
 * - initial: `h = x W₀ + b₀ + e(c W_c + b_c)`, e the identity or the activation (`contextEntry`);
 * - feed-forward blocks: `h = act(h W + b)` (after `act(h)` when `initialActivation`);
 * - residual blocks: `t = act(h) W₁ + b₁ (+ c W_k + b_k)`, `t = act(t) W₂ + b₂ (⊙ sigmoid(c W_k + b_k))`, `h = h + t`;
 * - final: `y = h W_f + b_f`.
 *
 * With `degrees`, every weight is multiplied by the MADE mask of its layer (hidden: unit degree ≥
 * input degree; output: > ), so output block i depends only on inputs of lower degree. Its input is
 * `[x, c]`, as the couplings and autoregressive layers pass it.
 */
export class TorchNetwork extends Module<TorchNetworkConfig> implements VectorConditioner {
  static override readonly className: string = 'TorchNetwork';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly mainInputSize: number;
  readonly contextSize: number;
  readonly hidden: number;
  readonly blocks: number;
  readonly residual: boolean;
  readonly activation: Activation;
  readonly initialActivation: boolean;
  readonly contextEntry: 'linear' | 'activated';
  readonly blockContext: 'none' | 'add' | 'gate';
  readonly degrees: TorchNetworkDegrees | null;
  readonly initial: Layer;
  readonly context: Layer | null;
  /** Feed-forward: one layer per block; residual: two, then the block's context layer when it has one. */
  readonly blockLayers: Layer[][];
  readonly final: Layer;

  constructor(options: TorchNetworkOptions) {
    super();
    const who = 'TorchNetwork';
    assertKnownOptions(options, TORCH_NETWORK_OPTION_NAMES, who);
    assertPositiveInteger(options.inputSize, who, 'inputSize');
    assertPositiveInteger(options.outputSize, who, 'outputSize');
    assertPositiveInteger(options.hidden, who, 'hidden');
    this.mainInputSize = options.inputSize;
    this.contextSize = options.contextSize ?? 0;
    if (!Number.isInteger(this.contextSize) || this.contextSize < 0) throw new ConfigError(`${who}: contextSize must be a non-negative integer`);
    this.inputSize = this.mainInputSize + this.contextSize;
    this.outputSize = options.outputSize;
    this.hidden = options.hidden;
    this.blocks = options.blocks;
    if (!Number.isInteger(this.blocks) || this.blocks < 0) throw new ConfigError(`${who}: blocks must be a non-negative integer`);
    this.residual = options.residual ?? false;
    this.activation = options.activation ?? 'relu';
    if (!ACTIVATIONS.includes(this.activation)) throw new ConfigError(`${who}: unknown activation '${this.activation}'`);
    this.initialActivation = options.initialActivation ?? true;
    this.contextEntry = options.contextEntry ?? 'linear';
    this.blockContext = options.blockContext ?? 'none';
    if (this.contextEntry !== 'linear' && this.contextEntry !== 'activated') throw new ConfigError(`${who}: contextEntry must be 'linear' or 'activated'`);
    if (!['none', 'add', 'gate'].includes(this.blockContext)) throw new ConfigError(`${who}: blockContext must be 'none', 'add' or 'gate'`);
    if (this.blockContext !== 'none' && !this.residual) throw new ConfigError(`${who}: blockContext applies to residual blocks only`);
    this.degrees = options.degrees ? checkDegrees(options.degrees, this, who) : null;

    const hiddenMasks = this.degrees ? this.hiddenMasks(this.degrees) : [];
    let maskIndex = 0;
    const layer = (fanIn: number, fanOut: number, masked: boolean): Layer => ({
      weight: newVariable(() => tf.zeros([fanIn, fanOut])),
      bias: newVariable(() => tf.zeros([fanOut])),
      mask: masked && this.degrees ? hiddenMasks[maskIndex++] : null,
    });
    this.initial = layer(this.mainInputSize, this.hidden, true);
    this.context = this.contextSize > 0 ? layer(this.contextSize, this.hidden, false) : null;
    this.blockLayers = [];
    for (let b = 0; b < this.blocks; b++) {
      if (!this.residual) this.blockLayers.push([layer(this.hidden, this.hidden, true)]);
      else {
        const pair = [layer(this.hidden, this.hidden, true), layer(this.hidden, this.hidden, true)];
        if (this.blockContext !== 'none' && this.contextSize > 0) pair.push(layer(this.contextSize, this.hidden, false));
        this.blockLayers.push(pair);
      }
    }
    this.final = layer(this.hidden, this.outputSize, false);
    if (this.degrees) this.final.mask = this.outputMask(this.degrees);
  }

  /** The hidden layers' masks `[in, out]`: a unit connects where its degree is at least the input's. */
  private hiddenMasks(degrees: TorchNetworkDegrees): tf.Tensor2D[] {
    let previous = degrees.inputs;
    return degrees.hidden.map((layerDegrees) => {
      const mask = madeMask(previous, layerDegrees, false);
      previous = layerDegrees;
      return tf.keep(mask);
    });
  }

  private outputMask(degrees: TorchNetworkDegrees): tf.Tensor2D {
    const last = degrees.hidden[degrees.hidden.length - 1];
    const outputs = Array.from({ length: this.outputSize }, (_, o) => degrees.inputs[Math.floor(o / degrees.outputsPerInput)]);
    return tf.keep(madeMask(last, outputs, true));
  }

  /** Every layer in the order its variables are saved. */
  get layers(): Layer[] {
    return [this.initial, ...(this.context ? [this.context] : []), ...this.blockLayers.flat(), this.final];
  }

  override get trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  private run(layer: Layer, h: tf.Tensor2D): tf.Tensor2D {
    const weight = layer.mask ? (tf.mul(layer.weight, layer.mask) as tf.Tensor2D) : (layer.weight as tf.Tensor2D);
    return dense(h, weight, layer.bias as tf.Tensor1D);
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    const n = input.shape[0];
    const x = this.contextSize > 0 ? (tf.slice(input, [0, 0], [n, this.mainInputSize]) as tf.Tensor2D) : input;
    const c = this.contextSize > 0 ? (tf.slice(input, [0, this.mainInputSize], [n, this.contextSize]) as tf.Tensor2D) : null;
    const act = (t: tf.Tensor) => applyActivation(t, this.activation) as tf.Tensor2D;
    let h = this.run(this.initial, x);
    if (c && this.context) {
      const term = this.run(this.context, c);
      h = tf.add(h, this.contextEntry === 'activated' ? act(term) : term) as tf.Tensor2D;
    }
    if (!this.residual) {
      if (this.initialActivation) h = act(h);
      for (const [layer] of this.blockLayers) h = act(this.run(layer, h));
    } else {
      for (const [first, second, contextLayer] of this.blockLayers) {
        let t = this.run(first, act(h));
        if (c && contextLayer && this.blockContext === 'add') t = tf.add(t, this.run(contextLayer, c)) as tf.Tensor2D;
        t = this.run(second, act(t));
        if (c && contextLayer && this.blockContext === 'gate') t = tf.mul(t, tf.sigmoid(this.run(contextLayer, c))) as tf.Tensor2D;
        h = tf.add(h, t) as tf.Tensor2D;
      }
    }
    return this.run(this.final, h);
  }

  getConfig(): TorchNetworkConfig {
    return {
      inputSize: this.mainInputSize,
      contextSize: this.contextSize,
      outputSize: this.outputSize,
      hidden: this.hidden,
      blocks: this.blocks,
      residual: this.residual,
      activation: this.activation,
      initialActivation: this.initialActivation,
      contextEntry: this.contextEntry,
      blockContext: this.blockContext,
      degrees: this.degrees,
    };
  }

  static fromConfig(config: TorchNetworkConfig): TorchNetwork {
    const { degrees, ...rest } = config;
    return new TorchNetwork({ ...rest, ...(degrees ? { degrees } : {}) });
  }

  override dispose(): void {
    super.dispose();
    for (const l of this.layers) if (l.mask && !l.mask.isDisposed) l.mask.dispose();
  }
}

/** The MADE mask `[in, out]` between units of the given degrees: `out ≥ in` for hidden layers, `out > in` for outputs. */
export function madeMask(inputDegrees: readonly number[], outputDegrees: readonly number[], strict: boolean): tf.Tensor2D {
  const values = new Float32Array(inputDegrees.length * outputDegrees.length);
  for (let i = 0; i < inputDegrees.length; i++) {
    for (let j = 0; j < outputDegrees.length; j++) {
      values[i * outputDegrees.length + j] = (strict ? outputDegrees[j] > inputDegrees[i] : outputDegrees[j] >= inputDegrees[i]) ? 1 : 0;
    }
  }
  return tf.tensor2d(values, [inputDegrees.length, outputDegrees.length]);
}

function checkDegrees(degrees: TorchNetworkDegrees, network: TorchNetwork, who: string): TorchNetworkDegrees {
  const layers = 1 + network.blocks * (network.residual ? 2 : 1);
  const integers = (values: unknown, min: number) => Array.isArray(values) && values.every((v) => Number.isInteger(v) && v >= min);
  if (!integers(degrees.inputs, 1) || degrees.inputs.length !== network.mainInputSize) {
    throw new ConfigError(`${who}: degrees.inputs must be ${network.mainInputSize} positive integers`);
  }
  if (!Array.isArray(degrees.hidden) || degrees.hidden.length !== layers || degrees.hidden.some((d) => !integers(d, 0) || d.length !== network.hidden)) {
    throw new ConfigError(`${who}: degrees.hidden must hold ${layers} layers of ${network.hidden} non-negative integers`);
  }
  if (!Number.isInteger(degrees.outputsPerInput) || degrees.outputsPerInput * network.mainInputSize !== network.outputSize) {
    throw new ConfigError(`${who}: degrees.outputsPerInput × inputSize must equal outputSize ${network.outputSize}`);
  }
  return { inputs: [...degrees.inputs], hidden: degrees.hidden.map((d) => [...d]), outputsPerInput: degrees.outputsPerInput };
}
