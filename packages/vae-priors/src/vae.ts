import * as tf from '@tensorflow/tfjs-core';
import { Module, Random } from '@flows/core';
import { type Distribution, importanceWeightedBound, StandardNormal } from '@flows/distributions';
import { type BernoulliDecoder, diagonalNormalLogProb, type GaussianEncoder, noise } from './networks.js';

export interface ElboTerms {
  /** ELBO per row (nats). */
  elbo: tf.Tensor1D;
  /** E_q[log p(x|z)] per row. */
  reconstruction: tf.Tensor1D;
  /** KL(q(z|x) ‖ p(z)) per row: analytic for the standard Gaussian prior, else Monte Carlo. */
  kl: tf.Tensor1D;
}

export interface ElboOptions {
  /** Monte Carlo samples of z per input (default 1). */
  samples?: number;
  /** Generator for the reparameterisation noise. */
  random?: Random | number;
  /** Use the Monte Carlo KL even for the standard Gaussian prior. */
  monteCarloKl?: boolean;
  /** Explicit noise ε, [samples, N, M] (for exact tests); its first dimension sets the number of samples. */
  noise?: tf.Tensor;
}

/**
 * A VAE with Gaussian encoder q(z|x) = N(μ(x), diag σ(x)²), Bernoulli decoder p(x|z) and any
 * prior p(z) that is a `Distribution` over the latent space (standard Gaussian, mixture, flow,
 * VampPrior).
 *
 * `ELBO(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))`, with z = μ + σ ⊙ ε (reparameterised).
 */
export class VAE extends Module {
  static override readonly className: string = 'VAE';

  constructor(
    readonly encoder: GaussianEncoder,
    readonly decoder: BernoulliDecoder,
    readonly prior: Distribution,
    /** How `buildVAE` made it: what `toJSON` saves so that `vaeFromJSON` rebuilds it. */
    readonly options?: Record<string, unknown>,
  ) {
    super();
    if (encoder.latentSize !== decoder.latentSize || prior.eventShape[0] !== encoder.latentSize) {
      throw new RangeError(`VAE: latent sizes differ: encoder ${encoder.latentSize}, decoder ${decoder.latentSize}, prior ${prior.eventShape[0]}`);
    }
  }

  get latentSize(): number {
    return this.encoder.latentSize;
  }

  override get trainableVariables(): tf.Variable[] {
    const all = [...this.encoder.trainableVariables, ...this.decoder.trainableVariables, ...this.prior.trainableVariables];
    return [...new Set(all)];
  }

  /** The options `buildVAE` was given (what checkpoints save); only VAEs made by `buildVAE` can be saved. */
  getConfig(): Record<string, unknown> {
    if (!this.options) throw new Error('VAE.toJSON: only a VAE made by buildVAE can be serialized');
    return this.options;
  }

  /** The ELBO terms per row, without tidy (for training losses). */
  uncheckedElbo(x: tf.Tensor2D, options: ElboOptions = {}): ElboTerms {
    const samples = options.noise ? options.noise.shape[0] : (options.samples ?? 1);
    if (options.noise && (options.noise.rank !== 3 || options.noise.shape[1] !== x.shape[0] || options.noise.shape[2] !== this.latentSize)) {
      throw new RangeError(`VAE.elbo: noise must have shape [samples, ${x.shape[0]}, ${this.latentSize}], got [${options.noise.shape.join(', ')}]`);
    }
    if (options.noise && options.samples !== undefined && options.samples !== samples) {
      throw new RangeError(`VAE.elbo: samples is ${options.samples} but the noise holds ${samples} draws`);
    }
    const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
    const { mean, logScale } = this.encoder.encode(x);
    const n = x.shape[0];
    const m = this.latentSize;
    const eps = options.noise ?? noise([samples, n, m], random);
    const z = tf.reshape(tf.add(mean, tf.mul(tf.exp(logScale), eps)), [samples * n, m]) as tf.Tensor2D;
    const reconstruction = tf.mean(tf.reshape(this.decoder.logLikelihood(x, z), [samples, n]), 0) as tf.Tensor1D;
    let kl: tf.Tensor1D;
    if (this.prior instanceof StandardNormal && !options.monteCarloKl) {
      // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1) − log σ per coordinate.
      kl = tf.sum(tf.sub(tf.mul(tf.sub(tf.add(tf.square(mean), tf.exp(tf.mul(logScale, 2))), 1), 0.5), logScale), 1) as tf.Tensor1D;
    } else {
      const zs = tf.reshape(z, [samples, n, m]);
      const logQ = diagonalNormalLogProb(zs, mean, logScale); // [samples, N]
      const logP = tf.reshape(this.prior.uncheckedLogProb(z), [samples, n]);
      kl = tf.mean(tf.sub(logQ, logP), 0) as tf.Tensor1D;
    }
    return { elbo: tf.sub(reconstruction, kl) as tf.Tensor1D, reconstruction, kl };
  }

  /** The ELBO terms per row (tidy; nothing leaks but the results). */
  elbo(x: tf.Tensor2D, options: ElboOptions = {}): ElboTerms {
    return tf.tidy(() => this.uncheckedElbo(x, options) as unknown as tf.TensorContainer) as unknown as ElboTerms;
  }

  /** The training loss: −mean ELBO. */
  loss(x: tf.Tensor2D, random: Random): tf.Scalar {
    return tf.neg(tf.mean(this.uncheckedElbo(x, { random }).elbo)) as tf.Scalar;
  }

  /**
   * The importance-weighted estimate of log p(x) with k samples (Burda et al. 2016):
   * `log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x)`, z_i ~ q(z|x). Samples are processed `chunk` at a
   * time and combined with a running log-sum-exp, so memory stays bounded for any k.
   */
  importanceWeightedLogLikelihood(x: tf.Tensor2D, k: number, options: { random?: Random | number; chunk?: number } = {}): tf.Tensor1D {
    if (!Number.isInteger(k) || k <= 0) throw new RangeError(`importanceWeightedLogLikelihood: k must be a positive integer, got ${k}`);
    const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
    const chunk = Math.max(1, Math.min(k, options.chunk ?? 50));
    const n = x.shape[0];
    const m = this.latentSize;
    const { mean, logScale } = tf.tidy(() => this.encoder.encode(x));
    const result = importanceWeightedBound(n, k, chunk, (s) => {
      const eps = noise([s, n, m], random);
      const zs = tf.add(mean, tf.mul(tf.exp(logScale), eps)); // [s, N, M]
      const z = tf.reshape(zs, [s * n, m]) as tf.Tensor2D;
      const logPx = tf.reshape(this.decoder.logLikelihood(x, z), [s, n]);
      const logPz = tf.reshape(this.prior.uncheckedLogProb(z), [s, n]);
      return tf.sub(tf.add(logPx, logPz), diagonalNormalLogProb(zs, mean, logScale));
    });
    tf.dispose([mean, logScale]);
    return result;
  }

  /** Decoded Bernoulli means sigmoid(ℓ(z)) of prior samples. */
  samplePixels(n: number, random: Random | number = 0): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.decoder.logits(this.prior.sample(n, { random }) as tf.Tensor2D)) as tf.Tensor2D);
  }

  /** Reconstructions sigmoid(ℓ(μ(x))) at the posterior means. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.decoder.logits(this.encoder.encode(x).mean)) as tf.Tensor2D);
  }

  /** z ~ q(z|x) for every row: samples of the aggregate posterior when x is a data set. */
  encodeSample(x: tf.Tensor2D, random: Random | number = 0): tf.Tensor2D {
    const generator = random instanceof Random ? random : new Random(random);
    return tf.tidy(() => {
      const { mean, logScale } = this.encoder.encode(x);
      return tf.add(mean, tf.mul(tf.exp(logScale), noise(mean.shape, generator))) as tf.Tensor2D;
    });
  }

  override dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.prior.dispose();
  }
}
