import * as tf from '@tensorflow/tfjs-core';
import { newVariable, type Random, sumEventAxes, assertKnownOptions } from '@flows/core';
import { Distribution } from './distribution.js';

/** Every option Bernoulli takes; others are rejected with a message that names them. */
const BERNOULLI_OPTION_NAMES: readonly string[] = ['size', 'logits'];

/** What a {@link Bernoulli} saves (its parameters are weights). */
export type BernoulliConfig = { size: number };

/**
 * Independent Bernoulli variables with learnable logits ℓ (p = σ(ℓ)), over binary events:
 * `log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)]`, stable for any logit. Sampling draws u < σ(ℓ) with the
 * seeded generator; the temperature is ignored (the variables are discrete).
 */
export class Bernoulli extends Distribution<BernoulliConfig> {
  static override readonly className: string = 'Bernoulli';
  readonly eventShape: readonly number[];
  readonly logits: tf.Variable;

  constructor(options: { size: number; logits?: ArrayLike<number> }) {
    assertKnownOptions(options, BERNOULLI_OPTION_NAMES, 'Bernoulli');
    super();
    const { size } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`Bernoulli: size must be a positive integer, got ${size}`);
    if (options.logits && options.logits.length !== size) throw new RangeError(`Bernoulli: logits must have ${size} values`);
    this.eventShape = [size];
    this.logits = newVariable(() => (options.logits ? tf.tensor1d(Array.from(options.logits)) : tf.zeros([size])));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.logits];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return sumEventAxes(tf.sub(tf.mul(x, this.logits), tf.softplus(this.logits)));
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    // Uniforms from the seeded generator, the comparison on the device (no read-back).
    const size = this.eventShape[0];
    const uniforms = new Float32Array(n * size);
    for (let i = 0; i < uniforms.length; i++) uniforms[i] = random.uniform();
    return tf.tidy(() => tf.cast(tf.less(tf.tensor2d(uniforms, [n, size]), tf.sigmoid(this.logits)), 'float32'));
  }

  /**
   * Shannon entropy `H = Σ_i [softplus(ℓ_i) − σ(ℓ_i) ℓ_i]` nats (equal to `−p log p − (1 − p) log(1 − p)`
   * with p = σ(ℓ), written in the logits so that it stays finite for large |ℓ|).
   */
  override entropy(): number {
    this.assertNotDisposed('Bernoulli.entropy');
    const logits = this.logits.dataSync();
    let total = 0;
    for (let i = 0; i < logits.length; i++) {
      const l = logits[i];
      const softplus = Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
      total += softplus - l / (1 + Math.exp(-l));
    }
    return total;
  }

  getConfig(): BernoulliConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: BernoulliConfig): Bernoulli {
    return new Bernoulli({ size: config.size });
  }
}
