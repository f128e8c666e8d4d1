import * as tf from '@tensorflow/tfjs-core';
import { assertPositiveInteger, Bijector, BijectorInputError, type Random, type Serialized, sumEventAxes } from '@flows/core';
import { type Activation, conditionerToJSON, MADE } from '@flows/networks';
import { transformerToJSON } from './transformer-registry.js';
import { AffineTransformer, type Transformer } from './transformer.js';

/** Options shared by {@link MaskedAutoregressive} and {@link InverseAutoregressive}. */
export interface AutoregressiveOptions {
  /** Event size D. */
  size: number;
  /** The elementwise map (default {@link AffineTransformer}). */
  transformer?: Transformer;
  /** A ready MADE; otherwise one is built from `hidden`, `order`, `contextSize` and `seed`. */
  made?: MADE;
  hidden?: number[];
  activation?: Activation;
  /** `natural` (1…D), `reversed` (D…1), or an explicit permutation of 1…D. Default natural. */
  order?: 'natural' | 'reversed' | number[];
  contextSize?: number;
  seed?: number | Random;
}

/** What an autoregressive bijector (MAF, IAF or a plugin's subclass) saves: the size, the transformer and the MADE. */
export type AutoregressiveConfig = { size: number; transformer: Serialized; made: Serialized };

/**
 * What MAF and IAF share: a MADE computes the transformer's parameters from the layer's own
 * input u, `v = g(u; θ(u))` (one parallel pass), and the opposite direction solves for u given v
 * in D passes (pass k fixes the coordinate at position k of the order, whose parameters depend
 * only on coordinates fixed before it).
 *
 * {@link MaskedAutoregressive} runs the parallel pass from data to base (fast density) and
 * {@link InverseAutoregressive} from base to data (fast sampling); with the same MADE weights
 * and transformer, one is exactly the inverse of the other.
 */
export abstract class Autoregressive extends Bijector<AutoregressiveConfig> {
  readonly eventShape: readonly number[];
  readonly made: MADE;
  readonly transformer: Transformer;

  constructor(options: AutoregressiveOptions, who: string) {
    super();
    assertPositiveInteger(options.size, who, 'size');
    this.eventShape = [options.size];
    this.transformer = options.transformer ?? new AffineTransformer();
    if (options.made) {
      this.made = options.made;
      if (this.made.autoregressiveSize !== options.size || this.made.outputsPerInput !== this.transformer.parameterCount) {
        throw new BijectorInputError(
          `${who}: the MADE must have inputSize ${options.size} and outputsPerInput ${this.transformer.parameterCount}, got ${this.made.autoregressiveSize} and ${this.made.outputsPerInput}`,
        );
      }
      if (options.contextSize !== undefined && options.contextSize !== this.made.contextSize) {
        throw new BijectorInputError(`${who}: contextSize ${options.contextSize} differs from the MADE's ${this.made.contextSize}`);
      }
    } else {
      const order =
        options.order === 'reversed'
          ? Array.from({ length: options.size }, (_, i) => options.size - i)
          : options.order === 'natural'
            ? undefined
            : options.order;
      this.made = new MADE({
        inputSize: options.size,
        outputsPerInput: this.transformer.parameterCount,
        hidden: options.hidden,
        activation: options.activation,
        order,
        contextSize: options.contextSize ?? 0,
        seed: options.seed,
      });
    }
  }

  override get contextSize(): number {
    return this.made.contextSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.made.trainableVariables;
  }

  private parameters(u: tf.Tensor, context?: tf.Tensor): tf.Tensor3D {
    const input = context ? tf.concat([u as tf.Tensor2D, context as tf.Tensor2D], 1) : (u as tf.Tensor2D);
    const [n, d] = u.shape;
    return tf.reshape(this.made.apply(input), [n, d, this.transformer.parameterCount]);
  }

  /** `v = g(u; θ(u))` and `Σ log g'`: one parallel pass. */
  protected parallelPass(u: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [v, logDerivative] = this.transformer.forward(u as tf.Tensor2D, this.parameters(u, context));
    return [v, sumEventAxes(logDerivative)];
  }

  /** u such that `g(u; θ(u)) = v`, and `Σ log (g⁻¹)'`: D sequential passes. */
  protected sequentialPasses(v: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    let u: tf.Tensor = tf.zerosLike(v);
    let logDerivative: tf.Tensor2D | null = null;
    for (let pass = 0; pass < this.eventShape[0]; pass++) {
      [u, logDerivative] = this.transformer.inverse(v as tf.Tensor2D, this.parameters(u, context));
    }
    return [u, sumEventAxes(logDerivative as tf.Tensor2D)];
  }

  getConfig(): AutoregressiveConfig {
    return { size: this.eventShape[0], transformer: transformerToJSON(this.transformer), made: conditionerToJSON(this.made) };
  }

  override dispose(): void {
    this.made.dispose();
  }
}
