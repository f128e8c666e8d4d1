import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, ConfigError, Module, optionNames } from '@flows/core';
import type { Transformer } from './transformer.js';

/** Options of {@link LogisticMixtureTransformer}. */
export interface LogisticMixtureTransformerOptions {
  /** Logistic components K of the mixture (default 4; Flow++ uses 32 on images). */
  components?: number;
  /** Soft bound B on the components' and the output's log-scales, `B tanh(raw / B)` (default 5). */
  logScaleBound?: number;
  /** Bisection steps of the sampling direction (default 60: the bracket shrinks to float32's resolution). */
  bisectionSteps?: number;
}

/** What a {@link LogisticMixtureTransformer} saves. */
export type LogisticMixtureTransformerConfig = { components: number; logScaleBound: number; bisectionSteps: number };

const OPTION_NAMES = optionNames<LogisticMixtureTransformerOptions>()(['components', 'logScaleBound', 'bisectionSteps']);

/** The mixture's parameters per coordinate, each `[N, D, K]`, and the output affine's `[N, D]`. */
interface Mixture {
  logWeights: tf.Tensor3D;
  means: tf.Tensor3D;
  logScales: tf.Tensor3D;
  outLogScale: tf.Tensor2D;
  outShift: tf.Tensor2D;
}

/**
 * `[v*, 1 / h'(v*)]` of {@link LogisticMixtureTransformer.solveWithSlope}, as constants for
 * autodiff: one operation whose gradient is zero (the bisection runs once), stacked and split.
 */
const rootAndInverseSlope = (transformer: LogisticMixtureTransformer, u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] => {
  const both = tf.customGrad((...args: unknown[]) => {
    const [uu, theta] = args as [tf.Tensor2D, tf.Tensor3D];
    return { value: tf.stack(transformer.solveWithSlope(uu, theta)), gradFunc: () => [tf.zerosLike(uu), tf.zerosLike(theta)] };
  }) as unknown as (u: tf.Tensor2D, theta: tf.Tensor3D) => tf.Tensor3D;
  return tf.unstack(both(u, parameters)) as [tf.Tensor2D, tf.Tensor2D];
};

/**
 * The largest value along the last axis (kept), as a constant for autodiff: log-sum-exp's gradient
 * does not depend on the shift, and the max's own gradient is a broadcast comparison that wasm runs
 * element by element (most of a training step's time, bench/results.md).
 */
const shiftOf = tf.customGrad((...args: unknown[]) => {
  const [x] = args as [tf.Tensor];
  return { value: tf.max(x, -1, true), gradFunc: () => [tf.zerosLike(x)] };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/** `log Σ_k exp(x_k)` over the last axis: `m + log Σ exp(x − m)` with m the constant largest value. */
function logSumExpLast(x: tf.Tensor): tf.Tensor {
  const shift = shiftOf(x);
  return tf.add(tf.squeeze(shift, [-1]), tf.log(tf.sum(tf.exp(tf.sub(x, shift)), -1)));
}

/** log σ(x) = −softplus(−x), without overflow for large |x|. */
const logSigmoid = (x: tf.Tensor) => tf.neg(tf.softplus(tf.neg(x)));

/**
 * The logistic-mixture CDF transformer of Flow++ (Ho, Chen, Srinivas, Duan and Abbeel, "Flow++:
 * Improving Flow-Based Generative Models with Variational Dequantization and Architecture Design",
 * ICML 2019, section 3.1): per coordinate, the mixture CDF `F(v) = Σ_k π_k σ((v − μ_k) / s_k)`
 * followed by the inverse sigmoid and an affine map. With `z_k = (v − μ_k) / s_k`:
 *
 * - inverse (data → base, the density direction, in closed form):
 *   `g⁻¹(v) = logit(F(v)) · e^a + b`, with
 *   `log (g⁻¹)'(v) = a + log F'(v) − log F(v) − log(1 − F(v))`,
 *   `F'(v) = Σ_k π_k σ(z_k) σ(−z_k) / s_k`; every term is a log-sum-exp of log-sigmoids, so neither
 *   tail overflows or loses the derivative.
 * - forward (base → data, sampling): `g(u)` solves `logit F(v) = (u − b) e^{−a}` by bisection
 *   (monotone in v; the root lies between `min_k` and `max_k` of `μ_k + s_k (u − b) e^{−a}`, since
 *   every component's CDF passes the target there), and `log g'(u) = −log (g⁻¹)'(g(u))`. Its
 *   gradient comes from the implicit function theorem (`∂v/∂u = 1 / h'(v)`,
 *   `∂v/∂θ = −(∂h/∂θ) / h'(v)` for `h = g⁻¹`), not from the bisection's branches.
 *
 * θ per coordinate is 3K + 2 raw values: the weights' logits (π = softmax), the means, the raw
 * log-scales (`log s = B tanh(raw / B)`), then the output's raw log-scale a (bounded the same way)
 * and shift b. All zero gives the identity: one logistic at 0 of scale 1, and `logit σ(v) = v`.
 */
export class LogisticMixtureTransformer extends Module<LogisticMixtureTransformerConfig> implements Transformer {
  static override readonly className: string = 'LogisticMixtureTransformer';
  readonly components: number;
  readonly logScaleBound: number;
  readonly bisectionSteps: number;
  readonly parameterCount: number;

  constructor(options: LogisticMixtureTransformerOptions = {}) {
    super();
    assertKnownOptions(options, OPTION_NAMES, 'LogisticMixtureTransformer');
    this.components = options.components ?? 4;
    this.logScaleBound = options.logScaleBound ?? 5;
    this.bisectionSteps = options.bisectionSteps ?? 60;
    if (!(Number.isInteger(this.components) && this.components >= 1))
      throw new ConfigError(`LogisticMixtureTransformer: components must be a positive integer, got ${this.components}`);
    if (!(this.logScaleBound > 0 && Number.isFinite(this.logScaleBound)))
      throw new ConfigError(`LogisticMixtureTransformer: logScaleBound must be a positive number, got ${this.logScaleBound}`);
    if (!(Number.isInteger(this.bisectionSteps) && this.bisectionSteps >= 1))
      throw new ConfigError(`LogisticMixtureTransformer: bisectionSteps must be a positive integer, got ${this.bisectionSteps}`);
    this.parameterCount = 3 * this.components + 2;
  }

  private bounded(raw: tf.Tensor): tf.Tensor {
    return tf.mul(tf.tanh(tf.div(raw, this.logScaleBound)), this.logScaleBound);
  }

  private mixture(parameters: tf.Tensor3D): Mixture {
    const k = this.components;
    const [n, d] = parameters.shape;
    // Slices, not tf.split: wasm's SplitV and its gradient (a concatenation) copy slowly.
    const piece = (start: number, size: number) => tf.slice(parameters, [0, 0, start], [n, d, size]) as tf.Tensor3D;
    const [logits, means, rawScales, rawOut, shift] = [piece(0, k), piece(k, k), piece(2 * k, k), piece(3 * k, 1), piece(3 * k + 1, 1)];
    return {
      logWeights: tf.logSoftmax(logits, -1) as tf.Tensor3D,
      means,
      logScales: this.bounded(rawScales) as tf.Tensor3D,
      outLogScale: tf.reshape(this.bounded(rawOut), [n, d]) as tf.Tensor2D,
      outShift: tf.reshape(shift, [n, d]) as tf.Tensor2D,
    };
  }

  /** `logit F(v)` elementwise, `v` of shape `[N, D]`, and the log-sigmoids it was made of. */
  private logitCdf(v: tf.Tensor, m: Mixture): { logit: tf.Tensor2D; below: tf.Tensor; above: tf.Tensor; logF: tf.Tensor; logOneMinusF: tf.Tensor } {
    const z = tf.mul(tf.sub(tf.expandDims(v, 2), m.means), tf.exp(tf.neg(m.logScales)));
    const below = logSigmoid(z);
    const above = logSigmoid(tf.neg(z));
    const logF = logSumExpLast(tf.add(m.logWeights, below));
    const logOneMinusF = logSumExpLast(tf.add(m.logWeights, above));
    return { logit: tf.sub(logF, logOneMinusF) as tf.Tensor2D, below, above, logF, logOneMinusF };
  }

  /** `h = g⁻¹` and `log h'` from the mixture. */
  private density(v: tf.Tensor2D, m: Mixture): [tf.Tensor2D, tf.Tensor2D] {
    const { logit, below, above, logF, logOneMinusF } = this.logitCdf(v, m);
    // log h' = a + log F' − log F − log(1 − F), with F' = Σ_k π_k σ(z_k) σ(−z_k) / s_k.
    const logDensity = logSumExpLast(tf.sub(tf.add(m.logWeights, tf.add(below, above)), m.logScales));
    const logDerivative = tf.add(tf.sub(logDensity, tf.add(logF, logOneMinusF)), m.outLogScale) as tf.Tensor2D;
    return [tf.add(tf.mul(logit, tf.exp(m.outLogScale)), m.outShift) as tf.Tensor2D, logDerivative];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    return this.density(v, this.mixture(parameters));
  }

  /** The root v of `logit F(v) = target` by bisection in the bracket above (no gradient of its own). */
  private solve(target: tf.Tensor2D, m: Mixture): tf.Tensor2D {
    return tf.tidy(() => {
      const ends = tf.add(m.means, tf.mul(tf.exp(m.logScales), tf.expandDims(target, 2)));
      let low = tf.min(ends, 2) as tf.Tensor2D;
      let high = tf.max(ends, 2) as tf.Tensor2D;
      for (let step = 0; step < this.bisectionSteps; step++) {
        // Each step's intermediates go with it; only the logit is computed (no derivative needed).
        const [nextLow, nextHigh] = tf.tidy(() => {
          const middle = tf.mul(tf.add(low, high), 0.5) as tf.Tensor2D;
          const belowTarget = tf.less(this.logitCdf(middle, m).logit, target);
          return [tf.where(belowTarget, middle, low) as tf.Tensor2D, tf.where(belowTarget, high, middle) as tf.Tensor2D];
        });
        tf.dispose([low, high]);
        [low, high] = [nextLow, nextHigh];
      }
      return tf.mul(tf.add(low, high), 0.5) as tf.Tensor2D;
    });
  }

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const m = this.mixture(parameters);
    // The root v* and 1 / h'(v*) as constants for autodiff (the bisection's comparisons have no gradient).
    const [root, inverseSlope] = rootAndInverseSlope(this, u, parameters);
    // One Newton step from v*: v = v* − (h(v*) − u) / h'(v*). Its value is the root to float32's
    // resolution, and autodiff of it is the implicit gradient: ∂v/∂u = 1/h', ∂v/∂θ = −(∂h/∂θ)/h'.
    const v = tf.sub(root, tf.mul(tf.sub(this.density(root, m)[0], u), inverseSlope)) as tf.Tensor2D;
    return [v, tf.neg(this.density(v, m)[1]) as tf.Tensor2D];
  }

  /** @internal The root of `h(v) = u` by bisection and `1 / h'` there, with no gradient. */
  solveWithSlope(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const m = this.mixture(parameters);
    const root = this.solve(tf.mul(tf.sub(u, m.outShift), tf.exp(tf.neg(m.outLogScale))) as tf.Tensor2D, m);
    return [root, tf.exp(tf.neg(this.density(root, m)[1])) as tf.Tensor2D];
  }

  getConfig(): LogisticMixtureTransformerConfig {
    return { components: this.components, logScaleBound: this.logScaleBound, bisectionSteps: this.bisectionSteps };
  }

  static fromConfig(config: LogisticMixtureTransformerConfig): LogisticMixtureTransformer {
    return new LogisticMixtureTransformer(config);
  }
}
