import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, ConfigError } from '@flows/core';
import { InvertibleLinear } from './invertible-linear.js';

/** Every option InvertibleConv1x1 takes; others are rejected with a message that names them. */
const INVERTIBLE_CONV1X1_OPTION_NAMES: readonly string[] = ['shape', 'seed'];

/** What an {@link InvertibleConv1x1} saves: the event shape `[H, W, C]` and the seed of its initial weights. */
export type InvertibleConv1x1Config = { shape: number[]; seed: number };

/**
 * Glow's invertible 1 × 1 convolution (Kingma and Dhariwal, "Glow", NeurIPS 2018): one learnable
 * C × C matrix W, in LU form `W = P L U` (fixed permutation P, unit lower L, upper U with diagonal
 * `exp(logScale)`), applied to the channels of every pixel of an `[H, W, C]` image.
 *
 * - inverse (data → base): `z_{hw} = W y_{hw}` at every pixel; log-det `H · W · Σ_i log|U_ii|`
 * - forward (base → data): `y_{hw} = W⁻¹ z_{hw}`; log-det `−H · W · Σ_i log|U_ii|`
 *
 * The density direction multiplies by W itself (differentiable, as Glow trains); the sampling
 * direction uses W⁻¹ computed in float64 on the host (exact, not differentiable in W). The course
 * notes' example: 3 channels, 32 × 32, U diagonal (2, 0.5, 0.8) gives log|det| = 1024 · log 0.8.
 */
export class InvertibleConv1x1 extends Bijector<InvertibleConv1x1Config> {
  static override readonly className: string = 'InvertibleConv1x1';
  readonly eventShape: readonly number[];
  /** The per-pixel linear map (its variables are this layer's). */
  readonly linear: InvertibleLinear;

  constructor(options: { shape: [number, number, number] | number[]; seed?: number }) {
    assertKnownOptions(options, INVERTIBLE_CONV1X1_OPTION_NAMES, 'InvertibleConv1x1');
    super();
    if (!Array.isArray(options.shape) || options.shape.length !== 3) {
      throw new ConfigError(`InvertibleConv1x1: shape must be [height, width, channels], got ${JSON.stringify(options.shape)}`);
    }
    options.shape.forEach((d, i) => assertPositiveInteger(d, 'InvertibleConv1x1', `shape[${i}]`));
    this.eventShape = [...options.shape];
    this.linear = new InvertibleLinear({ size: options.shape[2], seed: options.seed ?? 0 });
  }

  override get trainableVariables(): tf.Variable[] {
    return this.linear.trainableVariables;
  }

  /** Applies a per-vector bijector direction to every pixel and sums its log-det over the H·W pixels. */
  private perPixel(input: tf.Tensor, apply: (rows: tf.Tensor) => [tf.Tensor, tf.Tensor1D]): [tf.Tensor, tf.Tensor1D] {
    const [h, w, c] = this.eventShape;
    const n = input.shape[0];
    const [rows, logDet] = apply(tf.reshape(input, [n * h * w, c]));
    return [tf.reshape(rows, [n, h, w, c]), tf.sum(tf.reshape(logDet, [n, h * w]), 1) as tf.Tensor1D];
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.perPixel(x, (rows) => this.linear.uncheckedInverseAndLogDet(rows));
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.perPixel(y, (rows) => this.linear.uncheckedForwardAndLogDet(rows));
  }

  getConfig(): InvertibleConv1x1Config {
    return { shape: [...this.eventShape], seed: this.linear.getConfig().seed };
  }

  static fromConfig(config: InvertibleConv1x1Config): InvertibleConv1x1 {
    return new InvertibleConv1x1({ shape: config.shape, seed: config.seed });
  }

  override dispose(): void {
    this.linear.dispose();
  }
}
