import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, ConfigError, optionNames, Random } from '@flows/core';
import { ACTIVATIONS, type Activation, applyActivation, dense, MLP } from '@flows/networks';
import { positionFeatures, positionFeatureTangents, timeFeatures, timeFeatureWidth } from './fourier-features.js';
import { timeColumn, VectorField } from './vector-field.js';

/** Options of {@link MLPVectorField}. */
export interface MLPVectorFieldOptions {
  /** The dimension D of the points. */
  size: number;
  /** Hidden layer widths (default `[64, 64]`). */
  hidden?: number[];
  /**
   * Hidden activation (default `swish`, x·sigmoid(x)). A smooth one keeps the field's Jacobian
   * continuous, which the adaptive solver and the log-density's trace want; `relu` works but makes
   * the divergence piecewise constant.
   */
  activation?: Activation;
  /** Fourier pairs of the time input (default 0: `t` alone); see {@link timeFeatures}. */
  timeFeatures?: number;
  /**
   * Octaves of Fourier features of the position added to the input (default 0: `x` alone); see
   * {@link positionFeatures}. For sharp densities in few dimensions (the Chequerboard).
   */
  positionFeatures?: number;
  /** Width of the context rows (default 0: unconditional). */
  contextSize?: number;
  /** Zero the last layer, so that the field starts at 0 and the flow at the identity (default true). */
  zeroInitLast?: boolean;
  /** Seed (or generator) for the initial weights (default 0). */
  seed?: number | Random;
}

/** What an {@link MLPVectorField} saves (its weights travel separately). */
export type MLPVectorFieldConfig = {
  size: number;
  hidden: number[];
  activation: Activation;
  timeFeatures: number;
  positionFeatures: number;
  contextSize: number;
  zeroInitLast: boolean;
  seed: number;
};

const OPTION_NAMES = optionNames<MLPVectorFieldOptions>()([
  'size',
  'hidden',
  'activation',
  'timeFeatures',
  'positionFeatures',
  'contextSize',
  'zeroInitLast',
  'seed',
]);

/** Most Fourier pairs (and position octaves) a file may ask for. */
const MAX_TIME_FEATURES = 64;
const MAX_POSITION_OCTAVES = 16;

/**
 * The derivative of an activation, from its input `a` and its output `y = σ(a)` (whichever is cheaper).
 */
function activationDerivative(activation: Activation, a: tf.Tensor, y: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.step(a);
    case 'tanh':
      return tf.sub(1, tf.square(y));
    case 'elu':
      return tf.where(tf.greater(a, 0), tf.onesLike(a), tf.add(y, 1));
    case 'leakyRelu':
      return tf.where(tf.greater(a, 0), tf.onesLike(a), tf.fill(a.shape, 0.01));
    case 'sigmoid':
      return tf.mul(y, tf.sub(1, y));
    case 'softplus':
      return tf.sigmoid(a);
    case 'swish': {
      const s = tf.sigmoid(a);
      return tf.add(s, tf.mul(y, tf.sub(1, s)));
    }
    case 'linear':
      return tf.onesLike(a);
    default:
      throw new ConfigError(`MLPVectorField: no derivative for activation '${String(activation)}'`);
  }
}

/**
 * The vector field of a continuous flow over vectors: an {@link MLP} of `@flows/networks` (its dense
 * layers, with their own fast gradients) on the input `[x, ψ(x), φ(t), c]`, where `ψ(x)` are optional
 * Fourier features of the position ({@link positionFeatures}), `φ(t)` is `t` with optional Fourier
 * features ({@link timeFeatures}) and `c` the context, returning `v ∈ ℝ^D`.
 *
 * It supplies forward-mode Jacobian-vector products ({@link MLPVectorField.jvp}): for a tangent `u`
 * the network's first layer sees `u W₀[:D]`, each hidden layer multiplies by `σ'(a_l)` and the next
 * weight matrix, so `J·u` costs one more pass of dense products per probe, batched as extra rows. The
 * exact divergence of a D-dimensional field is then D such passes, Hutchinson's estimate one per
 * probe; neither needs second-order autodiff, so maximum-likelihood training backpropagates through
 * them with first-order gradients only.
 */
export class MLPVectorField extends VectorField<MLPVectorFieldConfig> {
  static override readonly className: string = 'MLPVectorField';
  readonly eventShape: readonly number[];
  readonly network: MLP;
  readonly activation: Activation;
  readonly timeFeaturePairs: number;
  readonly positionOctaves: number;
  private readonly context: number;
  private readonly seed: number;

  constructor(options: MLPVectorFieldOptions) {
    super();
    const who = 'MLPVectorField';
    assertKnownOptions(options, OPTION_NAMES, who);
    assertPositiveInteger(options.size, who, 'size');
    const contextSize = options.contextSize ?? 0;
    if (!Number.isInteger(contextSize) || contextSize < 0) throw new ConfigError(`${who}: contextSize must be a non-negative integer, got ${contextSize}`);
    const pairs = options.timeFeatures ?? 0;
    if (!Number.isInteger(pairs) || pairs < 0 || pairs > MAX_TIME_FEATURES) {
      throw new ConfigError(`${who}: timeFeatures must be an integer from 0 to ${MAX_TIME_FEATURES}, got ${JSON.stringify(pairs)}`);
    }
    const octaves = options.positionFeatures ?? 0;
    if (!Number.isInteger(octaves) || octaves < 0 || octaves > MAX_POSITION_OCTAVES) {
      throw new ConfigError(`${who}: positionFeatures must be an integer from 0 to ${MAX_POSITION_OCTAVES}, got ${JSON.stringify(octaves)}`);
    }
    const activation = options.activation ?? 'swish';
    if (!ACTIVATIONS.includes(activation)) throw new ConfigError(`${who}: unknown activation '${activation}'; expected one of ${ACTIVATIONS.join(', ')}`);
    this.eventShape = [options.size];
    this.activation = activation;
    this.timeFeaturePairs = pairs;
    this.positionOctaves = octaves;
    this.context = contextSize;
    this.seed = options.seed instanceof Random ? options.seed.nextUint32() : (options.seed ?? 0);
    this.network = new MLP({
      inputSize: options.size * (1 + 2 * octaves) + timeFeatureWidth(pairs) + contextSize,
      outputSize: options.size,
      hidden: options.hidden ?? [64, 64],
      activation,
      zeroInitLast: options.zeroInitLast ?? true,
      seed: this.seed,
      name: 'field',
    });
  }

  override get contextSize(): number {
    return this.context;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  /** The network's input `[x, sin/cos(ωx), φ(t), c]`, and the position features' angles (for the tangents). */
  private input(x: tf.Tensor, t: number | tf.Tensor1D, context?: tf.Tensor): { input: tf.Tensor2D; angles: tf.Tensor2D | null } {
    const rows = x.shape[0];
    const parts = [x as tf.Tensor2D];
    let angles: tf.Tensor2D | null = null;
    if (this.positionOctaves > 0) {
      const position = positionFeatures(x as tf.Tensor2D, this.positionOctaves);
      parts.push(position.features);
      angles = position.angles;
    }
    parts.push(timeFeatures(timeColumn(t, rows), this.timeFeaturePairs));
    if (this.context > 0) {
      if (!context) throw new RangeError(`MLPVectorField: needs a context of width ${this.context}, none given`);
      parts.push(context as tf.Tensor2D);
    }
    return { input: tf.concat(parts, 1), angles };
  }

  apply(x: tf.Tensor, t: number | tf.Tensor1D, context?: tf.Tensor): tf.Tensor {
    return this.network.apply(this.input(x, t, context).input);
  }

  override jvp(x: tf.Tensor, t: number | tf.Tensor1D, tangents: tf.Tensor, context?: tf.Tensor): { value: tf.Tensor; products: tf.Tensor } {
    const [rows, size] = x.shape as [number, number];
    const count = tangents.shape[0];
    const { weights, biases } = this.network;
    const { input, angles } = this.input(x, t, context);
    let h = input;
    // Only the position columns of the input move with the tangent: x itself and its Fourier features.
    let moving = tf.reshape(tangents, [count * rows, size]) as tf.Tensor2D;
    if (angles) moving = tf.concat([moving, positionFeatureTangents(angles, moving, count, this.positionOctaves)], 1);
    const positionRows = tf.slice(weights[0], [0, 0], [moving.shape[1], -1]) as tf.Tensor2D;
    let tangent = linear(moving, positionRows);
    const last = weights.length - 1;
    for (let layer = 0; ; layer++) {
      const a = dense(h, weights[layer] as tf.Tensor2D, biases[layer] as tf.Tensor1D);
      if (layer === last) return { value: a, products: tf.reshape(tangent, tangents.shape) };
      h = applyActivation(a, this.activation) as tf.Tensor2D;
      const width = a.shape[1];
      const slope = activationDerivative(this.activation, a, h);
      const scaled = tf.reshape(tf.mul(tf.reshape(tangent, [count, rows, width]), slope), [count * rows, width]) as tf.Tensor2D;
      tangent = linear(scaled, weights[layer + 1] as tf.Tensor2D);
    }
  }

  getConfig(): MLPVectorFieldConfig {
    return {
      size: this.eventShape[0],
      hidden: [...this.network.hidden],
      activation: this.activation,
      timeFeatures: this.timeFeaturePairs,
      positionFeatures: this.positionOctaves,
      contextSize: this.context,
      zeroInitLast: this.network.zeroInitLast,
      seed: this.seed,
    };
  }

  static fromConfig(config: MLPVectorFieldConfig): MLPVectorField {
    return new MLPVectorField(config);
  }
}

/** `x W` through the dense layer's own gradient (a zero bias), which is fast on every backend. */
function linear(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  return dense(x, weight, tf.zeros([weight.shape[1] as number]) as tf.Tensor1D);
}
