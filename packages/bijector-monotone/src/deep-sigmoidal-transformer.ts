import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import {
  derivativeFloor,
  MONOTONE_OPTION_NAMES,
  type MonotoneConfig,
  type MonotoneOptions,
  MonotoneTransformer,
  monotoneSettings,
  positiveInteger,
} from './monotone-transformer.js';

/** Options of {@link DeepSigmoidalTransformer}. */
export interface DeepSigmoidalTransformerOptions extends MonotoneOptions {
  /** Sigmoid units H per layer (default 8). */
  hidden?: number;
  /** Sigmoidal layers composed (default 1: the DSF of the paper; more is a deeper stack of them). */
  layers?: number;
  /** Slope ε of a linear term added to the composition: g' ≥ ε everywhere (default 1e-3). */
  minDerivative?: number;
}

const DSF_OPTION_NAMES = optionNames<DeepSigmoidalTransformerOptions>()(['hidden', 'layers', 'minDerivative', ...MONOTONE_OPTION_NAMES]);

/** What a {@link DeepSigmoidalTransformer} saves. */
export type DeepSigmoidalTransformerConfig = MonotoneConfig & { hidden: number; layers: number; minDerivative: number };

/** log(e − 1): softplus of it is 1. */
const SOFTPLUS_ONE = Math.log(Math.E - 1);

/**
 * The deep sigmoidal flow (DSF) of neural autoregressive flows (Huang, Krueger, Lacoste and
 * Courville, "Neural Autoregressive Flows", ICML 2018, section 3.1): the logit of a convex
 * combination of sigmoids, each layer
 *
 * `y = σ⁻¹(Σ_j w_j σ(a_j x + b_j))`, `a_j = softplus(·) > 0`, `w = softmax(·)`,
 * `log y' = log Σ_j w_j a_j σ(z_j) σ(−z_j) − log S − log(1 − S)`, `S = Σ_j w_j σ(z_j)`,
 *
 * computed in log space (`log S = logsumexp(log w − softplus(−z))`, `log(1 − S) =
 * logsumexp(log w − softplus(z))`, as Σ w = 1), so no sigmoid saturates into log 0. `layers`
 * such maps are composed (3H parameters each), and `ε x` is added to the composition so that
 * g' ≥ ε (a bound for the inverse's tails). At zero raw parameters the slopes are H/B and the
 * centres spread over [−B, B]. Outside [−B, B] the map continues linearly ({@link MonotoneTransformer}).
 */
export class DeepSigmoidalTransformer extends MonotoneTransformer<DeepSigmoidalTransformerConfig> {
  static override readonly className: string = 'DeepSigmoidalTransformer';
  readonly parameterCount: number;
  readonly hidden: number;
  readonly layers: number;
  readonly minDerivative: number;
  private readonly slope: number;
  private readonly centres: Float32Array;

  constructor(options: DeepSigmoidalTransformerOptions = {}) {
    assertKnownOptions(options, DSF_OPTION_NAMES, 'DeepSigmoidalTransformer');
    super(monotoneSettings(options, 'DeepSigmoidalTransformer'));
    this.hidden = positiveInteger(options.hidden ?? 8, 'DeepSigmoidalTransformer', 'hidden');
    this.layers = positiveInteger(options.layers ?? 1, 'DeepSigmoidalTransformer', 'layers');
    this.minDerivative = derivativeFloor(options.minDerivative ?? 1e-3, 'DeepSigmoidalTransformer');
    this.parameterCount = 3 * this.hidden * this.layers;
    this.slope = this.hidden / this.bound;
    this.centres = Float32Array.from({ length: this.hidden }, (_, j) => -this.slope * this.bound * (-1 + (2 * j + 1) / this.hidden));
  }

  protected core(x: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [n, d] = x.shape;
    const h = this.hidden;
    let value: tf.Tensor = x;
    let logDerivative: tf.Tensor = tf.zerosLike(x);
    for (let layer = 0; layer < this.layers; layer++) {
      const part = (index: number) => tf.slice(parameters, [0, 0, (3 * layer + index) * h], [n, d, h]);
      // A floor on the slopes keeps log a finite when softplus underflows.
      const slopes = tf.add(tf.mul(tf.softplus(tf.add(part(0), SOFTPLUS_ONE)), this.slope), 1e-4);
      const z = tf.add(tf.mul(slopes, tf.expandDims(value, 2)), tf.add(part(1), tf.tensor1d(this.centres)));
      const logWeights = tf.logSoftmax(part(2));
      const logS = tf.logSumExp(tf.sub(logWeights, tf.softplus(tf.neg(z))), 2);
      const logOneMinusS = tf.logSumExp(tf.sub(logWeights, tf.softplus(z)), 2);
      const logSlope = tf.logSumExp(tf.sub(tf.add(logWeights, tf.log(slopes)), tf.add(tf.softplus(z), tf.softplus(tf.neg(z)))), 2);
      value = tf.sub(logS, logOneMinusS);
      logDerivative = tf.add(logDerivative, tf.sub(logSlope, tf.add(logS, logOneMinusS)));
    }
    // g = composition + ε x: log g' = logaddexp(log composition', log ε).
    const floor = tf.fill([n, d], Math.log(this.minDerivative));
    const logDerivativeWithFloor = tf.logSumExp(tf.stack([logDerivative, floor], 2), 2);
    return [tf.add(value, tf.mul(x, this.minDerivative)) as tf.Tensor2D, logDerivativeWithFloor as tf.Tensor2D];
  }

  getConfig(): DeepSigmoidalTransformerConfig {
    return { ...this.sharedConfig(), hidden: this.hidden, layers: this.layers, minDerivative: this.minDerivative };
  }

  static fromConfig(config: DeepSigmoidalTransformerConfig): DeepSigmoidalTransformer {
    return new DeepSigmoidalTransformer(config);
  }
}
