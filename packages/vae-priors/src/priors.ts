import * as tf from '@tensorflow/tfjs-core';
import { newVariable, Random } from '@flows/core';
import { Distribution, MixtureOfGaussians, StandardNormal } from '@flows/distributions';
import { realNVP } from '@flows/builders';
import { diagonalNormalLogProb, type GaussianEncoder } from './networks.js';

/** The standard Gaussian prior N(0, I): the VAE uses the analytic KL with it. */
export function standardGaussianPrior(latentSize: number): StandardNormal {
  return new StandardNormal(latentSize);
}

/** A mixture of K learnable diagonal Gaussians (means, scales and weights learned). */
export function mixtureOfGaussiansPrior(latentSize: number, components = 10, seed = 0): MixtureOfGaussians {
  return new MixtureOfGaussians({ size: latentSize, components, seed });
}

/** A Real NVP flow on the latent space (affine couplings, tanh scale) over N(0, I). */
export function flowPrior(latentSize: number, options: { layers?: number; hidden?: number[]; seed?: number } = {}) {
  return realNVP({ size: latentSize, layers: options.layers ?? 6, hidden: options.hidden ?? [64, 64], mask: 'alternating', seed: options.seed ?? 0 });
}

/**
 * The VampPrior (Tomczak and Welling 2018): `p(z) = (1/K) Σ_k q(z | u_k)`, with K learnable
 * pseudo-inputs u_k passed through the VAE's own encoder. Its trainable variables are the
 * pseudo-inputs; the encoder's belong to the VAE.
 */
export class VampPrior extends Distribution {
  static override readonly className: string = 'VampPrior';
  readonly eventShape: readonly number[];
  readonly pseudoInputs: tf.Variable;

  constructor(
    readonly encoder: GaussianEncoder,
    readonly components = 50,
    seed = 0,
  ) {
    super();
    this.eventShape = [encoder.latentSize];
    // Pseudo-inputs start as random grey images in (0, 1), like binarized-MNIST inputs.
    const values = new Random(seed).fillUniform(new Float32Array(components * encoder.inputSize), 0, 1);
    this.pseudoInputs = newVariable(() => tf.tensor2d(values, [components, encoder.inputSize]));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.pseudoInputs];
  }

  protected logProbImpl(z: tf.Tensor): tf.Tensor1D {
    const { mean, logScale } = this.encoder.encode(this.pseudoInputs as tf.Tensor2D); // [K, M]
    const perComponent = diagonalNormalLogProb(tf.expandDims(z, 1), mean, logScale); // [N, K]
    return tf.sub(tf.logSumExp(perComponent, 1), Math.log(this.components)) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const picks = tf.tensor1d(
      Array.from({ length: n }, () => random.int(this.components)),
      'int32',
    );
    const { mean, logScale } = this.encoder.encode(this.pseudoInputs as tf.Tensor2D);
    const size = this.eventShape[0];
    const eps = tf.tensor2d(random.fillNormal(new Float32Array(n * size), 0, temperature), [n, size]);
    return tf.add(tf.gather(mean, picks), tf.mul(tf.exp(tf.gather(logScale, picks)), eps));
  }

  getConfig(): Record<string, unknown> {
    return { components: this.components, encoder: this.encoder.getConfig() };
  }
}
