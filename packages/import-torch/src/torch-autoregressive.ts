import * as tf from '@tensorflow/tfjs-core';
import { assertPositiveInteger, Bijector, BijectorInputError, ConfigError, type Serialized, sumEventAxes } from '@flows/core';
import { type Transformer, transformerFromJSON, transformerToJSON } from '@flows/bijectors';
import { conditionerFromJSON, conditionerToJSON } from '@flows/networks';
import { TorchNetwork } from './torch-network.js';

/** Options of {@link TorchAutoregressive}. */
export interface TorchAutoregressiveOptions {
  /** The elementwise map (an affine or spline transformer). */
  transformer: Transformer;
  /** A masked {@link TorchNetwork} over the D inputs (and the context), `parameterCount` outputs per input. */
  network: TorchNetwork;
}

/** What a {@link TorchAutoregressive} saves: its transformer and its network. */
export type TorchAutoregressiveConfig = { transformer: Serialized; network: Serialized };

/**
 * A masked autoregressive layer (MAF; RQ-NSF (AR)) whose conditioner is a masked
 * {@link TorchNetwork}: the residual MADEs of nflows and normflows, which the flows project's MADE
 * does not express. Same directions as the project's `MaskedAutoregressive`:
 *
 * - inverse (data → base, one pass): `z_i = g(x_i; θ_i(x_<i))`, log-det `Σ_i log g'(x_i)`
 * - forward (base → data, D passes): `x_i = g⁻¹(z_i; θ_i(x_<i))`, log-det `−Σ_i log g'(x_i)`
 */
export class TorchAutoregressive extends Bijector<TorchAutoregressiveConfig> {
  static override readonly className: string = 'TorchAutoregressive';
  readonly eventShape: readonly number[];
  readonly transformer: Transformer;
  readonly network: TorchNetwork;

  constructor(options: TorchAutoregressiveOptions) {
    super();
    const { transformer, network } = options ?? ({} as TorchAutoregressiveOptions);
    if (!(network instanceof TorchNetwork) || !network.degrees)
      throw new BijectorInputError('TorchAutoregressive: network must be a TorchNetwork with MADE degrees');
    if (!transformer || typeof transformer.parameterCount !== 'number') throw new BijectorInputError('TorchAutoregressive: transformer must be a Transformer');
    assertPositiveInteger(network.mainInputSize, 'TorchAutoregressive', 'network.inputSize');
    if (network.degrees.outputsPerInput !== transformer.parameterCount) {
      throw new BijectorInputError(
        `TorchAutoregressive: the network gives ${network.degrees.outputsPerInput} outputs per input but the ${transformer.className} takes ${transformer.parameterCount}`,
      );
    }
    this.eventShape = [network.mainInputSize];
    this.transformer = transformer;
    this.network = network;
  }

  override get contextSize(): number {
    return this.network.contextSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  private parameters(u: tf.Tensor, context?: tf.Tensor): tf.Tensor3D {
    const input = context ? tf.concat([u as tf.Tensor2D, context as tf.Tensor2D], 1) : (u as tf.Tensor2D);
    const [n, d] = u.shape;
    return tf.reshape(this.network.apply(input as tf.Tensor2D), [n, d as number, this.transformer.parameterCount]);
  }

  protected forwardImpl(z: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    // Pass k fixes the coordinates of the k lowest degrees; D passes fix all of them.
    let x: tf.Tensor = tf.zerosLike(z);
    let logDerivative: tf.Tensor2D | null = null;
    for (let pass = 0; pass < this.eventShape[0]; pass++) {
      [x, logDerivative] = this.transformer.inverse(z as tf.Tensor2D, this.parameters(x, context));
    }
    return [x, sumEventAxes(logDerivative as tf.Tensor2D)];
  }

  protected override inverseImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [z, logDerivative] = this.transformer.forward(x as tf.Tensor2D, this.parameters(x, context));
    return [z, sumEventAxes(logDerivative)];
  }

  getConfig(): TorchAutoregressiveConfig {
    return { transformer: transformerToJSON(this.transformer), network: conditionerToJSON(this.network) };
  }

  static fromConfig(config: TorchAutoregressiveConfig): TorchAutoregressive {
    const network = conditionerFromJSON(config.network);
    if (!(network instanceof TorchNetwork)) throw new ConfigError(`TorchAutoregressive needs a TorchNetwork conditioner, got '${network.className}'`);
    return new TorchAutoregressive({ transformer: transformerFromJSON(config.transformer), network });
  }

  override dispose(): void {
    this.network.dispose();
  }
}
