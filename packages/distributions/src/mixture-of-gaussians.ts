import * as tf from '@tensorflow/tfjs-core';
import { newVariable, Random, assertKnownOptions, optionNames } from '@flows/core';
import { Distribution, LOG_2PI } from './distribution.js';

export interface MixtureOfGaussiansOptions {
  /** Event size D. */
  size: number;
  /** Number of components K. */
  components: number;
  /** Initial means, K × D row-major (default: N(0, 1) draws from `seed`). */
  means?: ArrayLike<number>;
  /** Initial log standard deviations, K × D (default 0). */
  logScales?: ArrayLike<number>;
  /** Initial mixture logits, K (default 0: equal weights). */
  logits?: ArrayLike<number>;
  seed?: number;
  /** Learn means, scales and weights (default true). */
  trainable?: boolean;
}

/** Every option MixtureOfGaussians takes; others are rejected with a message that names them. */
const MIXTURE_OF_GAUSSIANS_OPTION_NAMES = optionNames<MixtureOfGaussiansOptions>()(['size', 'components', 'means', 'logScales', 'logits', 'seed', 'trainable']);

/** What a {@link MixtureOfGaussians} saves. */
export type MixtureOfGaussiansConfig = { size: number; components: number; seed: number; trainable: boolean };

/**
 * A mixture of K diagonal Gaussians with learnable means μ_k, log-scales log σ_k and weights
 * softmax(logits):
 * `log p(x) = logsumexp_k [log w_k + Σ_d (−½((x_d − μ_kd)/σ_kd)² − log σ_kd − ½ log 2π)]`.
 * Sampling picks a component with the seeded generator, then draws from it.
 */
export class MixtureOfGaussians extends Distribution<MixtureOfGaussiansConfig> {
  static override readonly className: string = 'MixtureOfGaussians';
  readonly eventShape: readonly number[];
  readonly components: number;
  readonly means: tf.Variable;
  readonly logScales: tf.Variable;
  readonly logits: tf.Variable;
  private readonly trainable: boolean;
  private readonly seed: number;

  constructor(options: MixtureOfGaussiansOptions) {
    assertKnownOptions(options, MIXTURE_OF_GAUSSIANS_OPTION_NAMES, 'MixtureOfGaussians');
    super();
    const { size, components } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`MixtureOfGaussians: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(components) || components <= 0) throw new RangeError(`MixtureOfGaussians: components must be a positive integer, got ${components}`);
    this.eventShape = [size];
    this.components = components;
    this.seed = options.seed ?? 0;
    this.trainable = options.trainable ?? true;
    const check = (values: ArrayLike<number> | undefined, length: number, name: string) => {
      if (values && values.length !== length) throw new RangeError(`MixtureOfGaussians: ${name} must have ${length} values, got ${values.length}`);
      return values;
    };
    const means = check(options.means, components * size, 'means') ?? new Random(this.seed).fillNormal(new Float32Array(components * size));
    const logScales = check(options.logScales, components * size, 'logScales');
    const logits = check(options.logits, components, 'logits');
    this.means = newVariable(() => tf.tensor2d(Array.from(means), [components, size]), this.trainable);
    this.logScales = newVariable(() => (logScales ? tf.tensor2d(Array.from(logScales), [components, size]) : tf.zeros([components, size])), this.trainable);
    this.logits = newVariable(() => (logits ? tf.tensor1d(Array.from(logits)) : tf.zeros([components])), this.trainable);
  }

  override get trainableVariables(): tf.Variable[] {
    return this.trainable ? this.variables : [];
  }

  override get variables(): tf.Variable[] {
    return [this.means, this.logScales, this.logits];
  }

  /** log w_k + log N(x; μ_k, σ_k²) for every row and component: [N, K]. */
  componentLogProbs(x: tf.Tensor): tf.Tensor2D {
    const expanded = tf.expandDims(x, 1); // [N, 1, D]
    const standardized = tf.mul(tf.sub(expanded, this.means), tf.exp(tf.neg(this.logScales)));
    const perComponent = tf.sum(tf.sub(tf.mul(tf.square(standardized), -0.5), tf.add(this.logScales, 0.5 * LOG_2PI)), 2);
    return tf.add(perComponent, tf.logSoftmax(this.logits)) as tf.Tensor2D;
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return tf.logSumExp(this.componentLogProbs(x), 1) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    // The noise comes from the seeded generator (so samples do not depend on the backend); the
    // component choice and the affine map run on the device, which needs no read-back.
    const size = this.eventShape[0];
    const uniforms = new Float32Array(n);
    const noise = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      uniforms[i] = random.uniform();
      for (let d = 0; d < size; d++) noise[i * size + d] = random.normal();
    }
    return tf.tidy(() => {
      // Component k: the first whose cumulative weight exceeds u (the last one if rounding leaves u above all).
      const cumulative = tf.cumsum(tf.softmax(this.logits));
      const passed = tf.greaterEqual(tf.expandDims(tf.tensor1d(uniforms), 1), tf.expandDims(tf.slice(cumulative, 0, this.components - 1), 0));
      const k = tf.sum(tf.cast(passed, 'int32'), 1);
      const scales = tf.gather(tf.exp(this.logScales), k);
      return tf.add(tf.gather(this.means, k), tf.mul(tf.mul(scales, temperature), tf.tensor2d(noise, [n, size])));
    });
  }

  getConfig(): MixtureOfGaussiansConfig {
    return { size: this.eventShape[0], components: this.components, seed: this.seed, trainable: this.trainable };
  }

  static fromConfig(config: MixtureOfGaussiansConfig): MixtureOfGaussians {
    return new MixtureOfGaussians(config);
  }
}
