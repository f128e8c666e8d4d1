import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { type Activation, MLP } from '@flows/networks';
import { LOG_2PI } from '@flows/distributions';

export interface NetworkOptions {
  hidden?: number[];
  activation?: Activation;
  seed?: number;
}

/**
 * The Gaussian encoder q(z|x) = N(μ(x), diag σ(x)²): an MLP from the data to 2M outputs, the
 * mean and the log standard deviation. The course architecture is 784-512-ReLU-512-ReLU-2M.
 */
export class GaussianEncoder {
  readonly network: MLP;

  constructor(
    readonly inputSize: number,
    readonly latentSize: number,
    options: NetworkOptions = {},
  ) {
    this.network = new MLP({
      inputSize,
      outputSize: 2 * latentSize,
      hidden: options.hidden ?? [512, 512],
      activation: options.activation ?? 'relu',
      zeroInitLast: false,
      seed: options.seed ?? 0,
      name: 'encoder',
    });
  }

  /** Mean and log standard deviation of q(z|x), each [N, M]. */
  encode(x: tf.Tensor2D): { mean: tf.Tensor2D; logScale: tf.Tensor2D } {
    const out = this.network.apply(x);
    const [mean, logScale] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mean, logScale };
  }

  get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  getConfig(): Record<string, unknown> {
    return { inputSize: this.inputSize, latentSize: this.latentSize, network: this.network.getConfig() };
  }

  dispose(): void {
    this.network.dispose();
  }
}

/** log N(z; μ, diag σ²) per row, σ = exp(logScale). */
export function diagonalNormalLogProb(z: tf.Tensor, mean: tf.Tensor, logScale: tf.Tensor): tf.Tensor1D {
  const standardized = tf.mul(tf.sub(z, mean), tf.exp(tf.neg(logScale)));
  return tf.sum(tf.sub(tf.mul(tf.square(standardized), -0.5), tf.add(logScale, 0.5 * LOG_2PI)), -1) as tf.Tensor1D;
}

/**
 * The Bernoulli decoder p(x|z) = Π_j Bernoulli(x_j; sigmoid(ℓ_j(z))): an MLP from the latent
 * code to 784 logits. `log p(x|z) = Σ_j [x_j ℓ_j − softplus(ℓ_j)]`, stable for any logit.
 */
export class BernoulliDecoder {
  readonly network: MLP;

  constructor(
    readonly latentSize: number,
    readonly outputSize: number,
    options: NetworkOptions = {},
  ) {
    this.network = new MLP({
      inputSize: latentSize,
      outputSize,
      hidden: options.hidden ?? [512, 512],
      activation: options.activation ?? 'relu',
      zeroInitLast: false,
      seed: options.seed ?? 1,
      name: 'decoder',
    });
  }

  logits(z: tf.Tensor2D): tf.Tensor2D {
    return this.network.apply(z);
  }

  /**
   * log p(x|z) per row of `z`. `z` may hold several codes per image, `samples` blocks of
   * `x.shape[0]` rows (sample-major): the images are then broadcast against the logits rather than
   * copied (the wasm backend's Tile kernel costs more than the decoder's matrix products).
   */
  logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
    const n = x.shape[0];
    if (z.shape[0] % n !== 0) throw new RangeError(`BernoulliDecoder.logLikelihood: ${z.shape[0]} codes are not a whole number of blocks of ${n} images`);
    const samples = z.shape[0] / n;
    const logits = this.logits(z);
    const blocks = samples === 1 ? logits : tf.reshape(logits, [samples, n, this.outputSize]);
    const perPixel = tf.sub(tf.mul(blocks, x), tf.softplus(blocks));
    return tf.reshape(tf.sum(perPixel, -1), [z.shape[0]]) as tf.Tensor1D;
  }

  get trainableVariables(): tf.Variable[] {
    return this.network.trainableVariables;
  }

  dispose(): void {
    this.network.dispose();
  }
}

/** ε ~ N(0, I) of a shape, from the project's generator. */
export function noise(shape: number[], random: Random): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.fillNormal(new Float32Array(size)), shape);
}
