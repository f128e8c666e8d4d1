import * as tf from '@tensorflow/tfjs-core';
import {
  assertKnownOptions,
  ConfigError,
  isRegistered,
  Module,
  optionNames,
  Random,
  registerModuleFactory,
  type Serialized,
  validateEvents,
} from '@flows/core';
import { Distribution, type SampleOptions } from './distribution.js';
import { distributionFromJSON } from './distribution-registry.js';
import { importanceWeightedBound } from './importance-weighting.js';
import { TransformedDistribution } from './transformed-distribution.js';

/** Options of {@link VariationalDequantization}. */
export interface VariationalDequantizationOptions {
  /** The continuous density p(y) of the dequantized values `y = x + binWidth·u`, over events of the data's shape. */
  model: Distribution;
  /**
   * The dequantizer q(z | x): a distribution over flat rows of the D = `model.eventSize` values,
   * given the data row x (flattened) as its context of width D; `u = σ(z)`. A
   * `TransformedDistribution` whose base is a `ConvConditionalNormal` (the builders'
   * `variationalDequantizer`) is a conditional flow of this kind.
   */
  dequantizer: Distribution;
  /**
   * Width b of one bin in the data's units (required): 1/256 for 8-bit images as `x = v/256`, whose
   * dequantized values `x + b·u` stay in [0, 1) as a logit preprocessing needs; 1/255 for `x = v/255`
   * (the `scaled` view), whose top bin then reaches 256/255. `x + b` must stay inside the model's support.
   */
  binWidth: number;
  /** The levels v ∈ {0, …, levels − 1} that samples are rounded to (default 256). */
  levels?: number;
  /** Seed of the noise that `loss` draws when it is given no generator (default 0). */
  seed?: number;
}

const OPTION_NAMES = optionNames<VariationalDequantizationOptions>()(['model', 'dequantizer', 'binWidth', 'levels', 'seed']);

/** What a {@link VariationalDequantization} saves: both distributions as `{ className, config }`, the bins and the seed. */
export type VariationalDequantizationConfig = { model: Serialized; dequantizer: Serialized; binWidth: number; levels: number; seed: number };

/** Options of {@link VariationalDequantization.importanceWeightedLogProb}. */
export interface ImportanceWeightedOptions {
  random?: Random | number;
  /** Samples per pass (default 16): memory grows with it, not with k. */
  chunk?: number;
}

/**
 * Variational dequantization (Ho, Chen, Srinivas, Duan and Abbeel 2019, Flow++, §3.1): a
 * continuous density p fitted to discrete data x (values `v·binWidth`, v an integer) through a
 * learned noise distribution instead of uniform noise. With `u = σ(z)`, `z ~ q(z | x)` and `y = x +
 * b·u` (b the bin width):
 *
 * - the bound per row, `ELBO(x) = E_q[log p(y) − log q(z | x) + Σ_i log σ′(z_i)]`, where
 *   `log σ′(z) = −softplus(−z) − softplus(z)` is the log-det of z ↦ u (so the last two terms are
 *   `−log q_u(u | x)`, with `q_u(u | x) = q(z | x) / Π_i σ′(z_i)` the density of u in the unit cube). Then `log P(v) ≥ ELBO(x) + D log b`:
 *   in the same units as the log-density of uniformly dequantized data (q uniform gives
 *   exactly `E_u[log p(x + b·u)]`), so bits/dim follow by the same formula,
 *   `(−ELBO/D − log b) / log 2`, and the gap to `log P(v)` is `KL(q(u | x) ‖ p(u | x))`: uniform
 *   noise leaves it at the mismatch of p with a flat density over each bin, a learned q closes it;
 * - `importanceWeightedLogProb(x, k)`: `log (1/k) Σ_j exp(w_j)` over k draws of the term under the
 *   expectation, a tighter bound that rises to `log P(v) − D log b` as k grows (Burda et al. 2016;
 *   Flow++ reports its test figures with it);
 * - sampling: `y ~ p`, `v = clamp(⌊y / b⌋, 0, levels − 1)`, returned as `v·b`.
 *
 * q and p train together on the loss `−mean ELBO` (reparameterised: the gradient reaches q through
 * z), e.g. `fit(vd, data, { loss: (m, batch) => m.loss(batch.x) })`.
 */
export class VariationalDequantization extends Module<VariationalDequantizationConfig> {
  static override readonly className: string = 'VariationalDequantization';
  readonly model: Distribution;
  readonly dequantizer: Distribution;
  readonly binWidth: number;
  readonly levels: number;
  private readonly seed: number;
  private readonly random: Random;

  constructor(options: VariationalDequantizationOptions) {
    const who = 'VariationalDequantization';
    assertKnownOptions(options, OPTION_NAMES, who);
    super();
    const { model, dequantizer } = options;
    if (!(model instanceof Distribution)) throw new ConfigError(`${who}: model must be a Distribution`);
    if (!(dequantizer instanceof Distribution)) throw new ConfigError(`${who}: dequantizer must be a Distribution`);
    if (model.contextSize > 0) throw new ConfigError(`${who}: the model takes a context; dequantize an unconditional model`);
    const size = model.eventSize;
    if (dequantizer.eventShape.length !== 1 || dequantizer.eventShape[0] !== size || dequantizer.contextSize !== size)
      throw new ConfigError(
        `${who}: the dequantizer must be over rows of ${size} values given the data row (context width ${size}); got events [${dequantizer.eventShape.join(', ')}] and context width ${dequantizer.contextSize}`,
      );
    this.model = model;
    this.dequantizer = dequantizer;
    if (options.binWidth === undefined)
      throw new ConfigError(
        `${who}: binWidth is required: the width of one bin in the data's units (1/256 for 8-bit images as x = v/256, which keeps x + binWidth·u below 1; 1/255 for v/255)`,
      );
    this.binWidth = options.binWidth;
    if (!(this.binWidth > 0) || !Number.isFinite(this.binWidth)) throw new ConfigError(`${who}: binWidth must be a positive number, got ${this.binWidth}`);
    this.levels = options.levels ?? 256;
    if (!Number.isInteger(this.levels) || this.levels < 2) throw new ConfigError(`${who}: levels must be a whole number ≥ 2, got ${this.levels}`);
    this.seed = options.seed ?? 0;
    this.random = new Random(this.seed);
  }

  /** The data's event shape (the model's). */
  get eventShape(): readonly number[] {
    return this.model.eventShape;
  }

  override get trainableVariables(): tf.Variable[] {
    return [...new Set([...this.model.trainableVariables, ...this.dequantizer.trainableVariables])];
  }

  override get variables(): tf.Variable[] {
    return [...new Set([...this.model.variables, ...this.dequantizer.variables])];
  }

  /** z ~ q(· | x) with log q(z | x), reparameterised (one forward pass for a flow). */
  private drawNoise(context: tf.Tensor2D, random: Random): [tf.Tensor2D, tf.Tensor1D] {
    const n = context.shape[0];
    if (this.dequantizer instanceof TransformedDistribution) {
      const [z, logQ] = this.dequantizer.uncheckedSampleAndLogProb(n, random, 1, context);
      return [z as tf.Tensor2D, logQ];
    }
    const z = this.dequantizer.sample(n, { random, context }) as tf.Tensor2D;
    return [z, this.dequantizer.uncheckedLogProb(z, context)];
  }

  /** One draw of the bound's integrand per row, `log p(y) − log q(z | x) + Σ log σ′(z)`, and y (no checks, no tidy). */
  private logWeights(x: tf.Tensor, random: Random): { weights: tf.Tensor1D; y: tf.Tensor } {
    const n = x.shape[0];
    const flat = tf.reshape(x, [n, this.model.eventSize]) as tf.Tensor2D;
    const [z, logQ] = this.drawNoise(flat, random);
    const y = tf.add(x, tf.reshape(tf.mul(tf.sigmoid(z), this.binWidth), x.shape));
    // Σ log σ′(z) = −Σ [softplus(−z) + softplus(z)]: the log-det of z ↦ u, row by row.
    const negativeLogDet = tf.sum(tf.add(tf.softplus(tf.neg(z)), tf.softplus(z)), 1);
    return { weights: tf.sub(tf.sub(this.model.uncheckedLogProb(y), logQ), negativeLogDet) as tf.Tensor1D, y };
  }

  private generator(random: Random | number | undefined): Random {
    return random instanceof Random ? random : random === undefined ? this.random : new Random(random);
  }

  private assertLive(who: string): void {
    if (this.isDisposed) throw new Error(`${who}: this VariationalDequantization has been disposed (its variables are freed); build or load it again`);
  }

  private check(x: tf.Tensor, who: string): void {
    this.assertLive(who);
    validateEvents(x, this.model.eventShape, who);
  }

  /** A one-draw estimate of the ELBO per row, without checks or tidy (for training losses). */
  uncheckedElbo(x: tf.Tensor, random?: Random | number): tf.Tensor1D {
    return this.logWeights(x, this.generator(random)).weights;
  }

  /** A one-draw estimate of the ELBO per row (nats, in the units of `model.logProb`). */
  elbo(x: tf.Tensor, options: { random?: Random | number } = {}): tf.Tensor1D {
    this.check(x, 'VariationalDequantization.elbo');
    assertKnownOptions(options, ['random'], 'VariationalDequantization.elbo');
    return tf.tidy(() => this.uncheckedElbo(x, options.random));
  }

  /**
   * The training loss, `−mean ELBO` over the rows (one draw each; the instance's own generator unless
   * one is given). For training loops: the rows' shape is not checked (`elbo` checks it).
   */
  loss(x: tf.Tensor, random?: Random | number): tf.Scalar {
    this.assertLive('VariationalDequantization.loss');
    return tf.neg(tf.mean(this.uncheckedElbo(x, random))) as tf.Scalar;
  }

  /**
   * The importance-weighted bound per row, `log (1/k) Σ_j exp(w_j)` with k draws of z ~ q(· | x),
   * `chunk` draws at a time combined by a running log-sum-exp.
   */
  importanceWeightedLogProb(x: tf.Tensor, k: number, options: ImportanceWeightedOptions = {}): tf.Tensor1D {
    const who = 'VariationalDequantization.importanceWeightedLogProb';
    this.check(x, who);
    assertKnownOptions(options, ['random', 'chunk'], who);
    if (!Number.isInteger(k) || k <= 0) throw new RangeError(`${who}: k must be a positive integer, got ${k}`);
    const random = this.generator(options.random);
    const chunk = Math.max(1, Math.min(k, options.chunk ?? 16));
    const n = x.shape[0];
    return importanceWeightedBound(n, k, chunk, (draws) =>
      tf.reshape(this.logWeights(tf.tile(x, [draws, ...x.shape.slice(1).map(() => 1)]), random).weights, [draws, n]),
    );
  }

  /** Draws of y = x + b·σ(z), z ~ q(· | x): where the dequantizer puts each row's noise. */
  dequantize(x: tf.Tensor, options: { random?: Random | number } = {}): tf.Tensor {
    this.check(x, 'VariationalDequantization.dequantize');
    assertKnownOptions(options, ['random'], 'VariationalDequantization.dequantize');
    return tf.tidy(() => this.logWeights(x, this.generator(options.random)).y);
  }

  /** `n` discrete samples: `y ~ p`, rounded down to their bin, `v·b` with v in {0, …, levels − 1}. */
  sample(n: number, options: Omit<SampleOptions, 'context'> = {}): tf.Tensor {
    return tf.tidy(() => {
      const y = this.model.sample(n, options);
      return tf.mul(tf.clipByValue(tf.floor(tf.div(y, this.binWidth)), 0, this.levels - 1), this.binWidth);
    });
  }

  getConfig(): VariationalDequantizationConfig {
    return { model: this.model.toJSON(), dequantizer: this.dequantizer.toJSON(), binWidth: this.binWidth, levels: this.levels, seed: this.seed };
  }

  static fromConfig(config: VariationalDequantizationConfig): VariationalDequantization {
    return new VariationalDequantization({
      model: distributionFromJSON(config.model),
      dequantizer: distributionFromJSON(config.dequantizer),
      binWidth: config.binWidth,
      levels: config.levels,
      seed: config.seed,
    });
  }

  /** Rebuilds one from `toJSON()` (fresh variables): the `rebuild` of `loadModel(dir, VariationalDequantization.fromJSON)`. */
  static fromJSON(serialized: Serialized): VariationalDequantization {
    if (serialized?.className !== VariationalDequantization.className)
      throw new ConfigError(`VariationalDequantization.fromJSON: expected a VariationalDequantization, got '${String(serialized?.className)}'`);
    return VariationalDequantization.fromConfig(serialized.config as VariationalDequantizationConfig);
  }

  override dispose(): void {
    this.model.dispose();
    this.dequantizer.dispose();
  }
}

/**
 * Makes `{ className: 'VariationalDequantization', config }` known to the registry of `@flows/core`
 * as a model (not a distribution), so that loading one as a distribution names
 * `VariationalDequantization.fromJSON`. The package's entry point calls it; calling it again does nothing.
 */
export function registerVariationalDequantization(): void {
  if (!isRegistered('model', VariationalDequantization.className))
    registerModuleFactory('model', VariationalDequantization.className, (config) =>
      VariationalDequantization.fromConfig(config as unknown as VariationalDequantizationConfig),
    );
}
