import * as tf from '@tensorflow/tfjs-core';
import { newVariable, Random, sumEventAxes, assertKnownOptions, optionNames } from '@flows/core';
import { Distribution } from './distribution.js';
import { locationScaleVariables } from './logistic.js';

/** Options of {@link DiscretizedLogistic}. */
export interface DiscretizedLogisticOptions {
  size: number;
  loc?: ArrayLike<number>;
  logScale?: ArrayLike<number>;
  /**
   * Smallest and largest value (e.g. 0 and 255 for pixels): the end bins take the tails, so the
   * probabilities of low…high sum to 1. Without them the support is all integers.
   */
  low?: number;
  high?: number;
}

/** `log(σ(a) − σ(b))` for a > b, without cancellation: `a − softplus(a) − softplus(b) + log(1 − e^{b−a})`. */
export function logSigmoidDifference(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.sub(a, tf.softplus(a)), tf.softplus(b)), tf.log1p(tf.neg(tf.exp(tf.sub(b, a)))));
}

/** The log-probability of integers under independent discretized logistics (shared by the mixture). */
export function discretizedLogisticLogProb(x: tf.Tensor, loc: tf.Tensor, logScale: tf.Tensor, low: number | null, high: number | null): tf.Tensor {
  const inverseScale = tf.exp(tf.neg(logScale));
  const upper = tf.mul(tf.sub(tf.add(x, 0.5), loc), inverseScale);
  const lower = tf.mul(tf.sub(tf.sub(x, 0.5), loc), inverseScale);
  let logP = logSigmoidDifference(upper, lower);
  // End bins: P(x = low) = σ(upper), P(x = high) = 1 − σ(lower).
  if (low !== null) logP = tf.where(tf.lessEqual(x, low), tf.neg(tf.softplus(tf.neg(upper))), logP);
  if (high !== null) logP = tf.where(tf.greaterEqual(x, high), tf.neg(tf.softplus(lower)), logP);
  return logP;
}

/** Every option DiscretizedLogistic takes; others are rejected with a message that names them. */
const DISCRETIZED_LOGISTIC_OPTION_NAMES = optionNames<DiscretizedLogisticOptions>()(['size', 'loc', 'logScale', 'low', 'high']);

/** What a {@link DiscretizedLogistic} saves (`low`/`high` only when the support is bounded). */
export type DiscretizedLogisticConfig = { size: number; low?: number; high?: number };

/**
 * Independent discretized logistic distributions over integers (Salimans, Karpathy, Chen and
 * Kingma, "PixelCNN++", ICLR 2017; the base distribution of integer discrete flows, Hoogeboom et
 * al., NeurIPS 2019), with learnable location μ and
 * log-scale log s:
 *
 * `P(x) = σ((x + ½ − μ)/s) − σ((x − ½ − μ)/s)` per coordinate, and with `low`/`high` the end
 * bins `P(low) = σ((low + ½ − μ)/s)`, `P(high) = 1 − σ((high − ½ − μ)/s)`.
 *
 * `logProb` returns the log-probability (a probability mass, in nats) of integer-valued rows;
 * `sample` draws a logistic, rounds it, and clamps it to [low, high] when given.
 */
export class DiscretizedLogistic extends Distribution<DiscretizedLogisticConfig> {
  static override readonly className: string = 'DiscretizedLogistic';
  readonly eventShape: readonly number[];
  readonly loc: tf.Variable;
  readonly logScale: tf.Variable;
  readonly low: number | null;
  readonly high: number | null;

  constructor(options: DiscretizedLogisticOptions) {
    assertKnownOptions(options, DISCRETIZED_LOGISTIC_OPTION_NAMES, 'DiscretizedLogistic');
    super();
    const { size } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`DiscretizedLogistic: size must be a positive integer, got ${size}`);
    this.low = options.low ?? null;
    this.high = options.high ?? null;
    if (this.low !== null && this.high !== null && !(this.low < this.high))
      throw new RangeError(`DiscretizedLogistic: low must be below high, got ${this.low} and ${this.high}`);
    this.eventShape = [size];
    [this.loc, this.logScale] = locationScaleVariables('DiscretizedLogistic', size, options);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.loc, this.logScale];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return sumEventAxes(discretizedLogisticLogProb(x, this.loc, this.logScale, this.low, this.high));
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const size = this.eventShape[0];
    const u = random.fillUniform(new Float32Array(n * size), 1e-7, 1 - 1e-7);
    const noise = tf.tensor2d(
      u.map((v) => Math.log(v) - Math.log1p(-v)),
      [n, size],
    );
    const continuous = tf.add(this.loc, tf.mul(noise, tf.mul(tf.exp(this.logScale), temperature)));
    return tf.clipByValue(tf.round(continuous), this.low ?? -Infinity, this.high ?? Infinity);
  }

  getConfig(): DiscretizedLogisticConfig {
    return { size: this.eventShape[0], low: this.low ?? undefined, high: this.high ?? undefined };
  }

  static fromConfig(config: DiscretizedLogisticConfig): DiscretizedLogistic {
    return new DiscretizedLogistic(config);
  }
}

/** Options of {@link MixtureOfDiscretizedLogistics}. */
export interface MixtureOfDiscretizedLogisticsOptions {
  size: number;
  /** Number of mixture components K per coordinate. */
  components: number;
  low?: number;
  high?: number;
  /** Seed for the initial component locations (spread over [low, high] or [−K, K]). */
  seed?: number;
}

/** Every option MixtureOfDiscretizedLogistics takes; others are rejected with a message that names them. */
const MIXTURE_OF_DISCRETIZED_LOGISTICS_OPTION_NAMES = optionNames<MixtureOfDiscretizedLogisticsOptions>()(['size', 'components', 'low', 'high', 'seed']);

/** What a {@link MixtureOfDiscretizedLogistics} saves. */
export type MixtureOfDiscretizedLogisticsConfig = { size: number; components: number; low?: number; high?: number; seed: number };

/**
 * Per-coordinate mixtures of K discretized logistics with learnable weights (PixelCNN++):
 * `log P(x) = Σ_i logsumexp_k [log π_ik + log P_ik(x_i)]`, `π_i = softmax(logits_i)`, each `P_ik`
 * a {@link DiscretizedLogistic} term with its own μ and s.
 */
export class MixtureOfDiscretizedLogistics extends Distribution<MixtureOfDiscretizedLogisticsConfig> {
  static override readonly className: string = 'MixtureOfDiscretizedLogistics';
  readonly eventShape: readonly number[];
  readonly components: number;
  readonly loc: tf.Variable;
  readonly logScale: tf.Variable;
  readonly logits: tf.Variable;
  readonly low: number | null;
  readonly high: number | null;
  private readonly seed: number;

  constructor(options: MixtureOfDiscretizedLogisticsOptions) {
    assertKnownOptions(options, MIXTURE_OF_DISCRETIZED_LOGISTICS_OPTION_NAMES, 'MixtureOfDiscretizedLogistics');
    super();
    const { size, components } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`MixtureOfDiscretizedLogistics: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(components) || components <= 0)
      throw new RangeError(`MixtureOfDiscretizedLogistics: components must be a positive integer, got ${components}`);
    this.eventShape = [size];
    this.components = components;
    this.low = options.low ?? null;
    this.high = options.high ?? null;
    this.seed = options.seed ?? 0;
    const [from, to] = this.low !== null && this.high !== null ? [this.low, this.high] : [-components, components];
    const random = new Random(this.seed);
    const locations = random.fillUniform(new Float32Array(components * size), from, to);
    const initialLogScale = Math.log(Math.max(1, (to - from) / (4 * components)));
    this.loc = newVariable(() => tf.tensor2d(locations, [components, size]));
    this.logScale = newVariable(() => tf.fill([components, size], initialLogScale));
    this.logits = newVariable(() => tf.zeros([components, size]));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.loc, this.logScale, this.logits];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const expanded = tf.expandDims(x, 1); // [N, 1, D] against [K, D]
    const perComponent = discretizedLogisticLogProb(expanded, this.loc, this.logScale, this.low, this.high);
    const logWeights = tf.sub(this.logits, tf.logSumExp(this.logits, 0, true));
    return tf.sum(tf.logSumExp(tf.add(perComponent, logWeights), 1), 1) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const [k, size] = [this.components, this.eventShape[0]];
    const weights = tf.tidy(() => tf.exp(tf.sub(this.logits, tf.logSumExp(this.logits, 0, true))).dataSync() as Float32Array);
    const loc = this.loc.dataSync();
    const scale = tf.tidy(() => tf.exp(this.logScale).dataSync() as Float32Array);
    const out = new Float32Array(n * size);
    for (let row = 0; row < n; row++) {
      for (let i = 0; i < size; i++) {
        let u = random.uniform();
        let c = 0;
        while (c < k - 1 && u >= weights[c * size + i]) u -= weights[c++ * size + i];
        const v = Math.min(Math.max(random.uniform(), 1e-7), 1 - 1e-7);
        let value = Math.round(loc[c * size + i] + temperature * scale[c * size + i] * (Math.log(v) - Math.log1p(-v)));
        if (this.low !== null) value = Math.max(this.low, value);
        if (this.high !== null) value = Math.min(this.high, value);
        out[row * size + i] = value;
      }
    }
    return tf.tensor2d(out, [n, size]);
  }

  getConfig(): MixtureOfDiscretizedLogisticsConfig {
    return { size: this.eventShape[0], components: this.components, low: this.low ?? undefined, high: this.high ?? undefined, seed: this.seed };
  }

  static fromConfig(config: MixtureOfDiscretizedLogisticsConfig): MixtureOfDiscretizedLogistics {
    return new MixtureOfDiscretizedLogistics(config);
  }
}
