import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, newVariable, optionNames, type Random } from '@flows/core';
import { type Activation, MLP } from '@flows/networks';
import { ConditionalDistribution } from './conditional-distribution.js';
import { discretizedLogisticLogProb } from './discretized-logistic.js';

/** Options of {@link ConditionalMixtureOfDiscretizedLogistics}. */
export interface ConditionalMixtureOfDiscretizedLogisticsOptions {
  /** Event size D: the integer coordinates modelled. */
  size: number;
  /** Context width C: the integers the parameters depend on. */
  contextSize: number;
  /** Mixture components K per coordinate. */
  components: number;
  /** Hidden widths of the network context → parameters (default [256]). */
  hidden?: number[];
  activation?: Activation;
  /**
   * The integer grid's scale S (default 1): the network sees c / S, so that with S = 256 it reads
   * 8-bit values as numbers in [0, 1). Its outputs are not multiplied back: a location output in
   * integer units moves by a weight's step times the hidden activations, which Adam keeps small
   * (multiplied by 256, the locations of a 3-level MNIST flow jumped by pixels per step and its
   * training diverged within an epoch at a learning rate of 10⁻⁴).
   */
  scale?: number;
  seed?: number;
}

const CONDITIONAL_MIXTURE_OPTION_NAMES = optionNames<ConditionalMixtureOfDiscretizedLogisticsOptions>()([
  'size',
  'contextSize',
  'components',
  'hidden',
  'activation',
  'scale',
  'seed',
]);

/** What a {@link ConditionalMixtureOfDiscretizedLogistics} saves: its sizes, its network's shape and seed. */
export type ConditionalMixtureOfDiscretizedLogisticsConfig = {
  size: number;
  contextSize: number;
  components: number;
  hidden: number[];
  activation: Activation;
  scale: number;
  seed: number;
};

/** The mixture's parameters for a batch of contexts, each `[N, K, D]`. */
export interface ConditionalMixtureParameters {
  loc: tf.Tensor3D;
  logScale: tf.Tensor3D;
  logits: tf.Tensor3D;
}

/**
 * Per-coordinate mixtures of K discretized logistics over the integers whose parameters depend on
 * a context of integers c: the conditional prior p(z₂ | z₁) of the factor-out layers of integer
 * discrete flows (Hoogeboom, Peters, van den Berg and Welling, NeurIPS 2019, §3.2), with the
 * mixture of PixelCNN++ (Salimans et al. 2017):
 *
 * - `[Δμ, Δlog s, Δℓ] = net(c / S)`, each `[K, D]`
 * - `μ = μ₀ + Δμ`, `log s = log s₀ + Δlog s`, `ℓ = ℓ₀ + Δℓ` (μ₀, log s₀, ℓ₀ learnable `[K, D]`)
 * - `log P(x | c) = Σ_i logsumexp_k [log softmax_k(ℓ_·i)_k + log(σ((x_i + ½ − μ_ki)/s_ki) − σ((x_i − ½ − μ_ki)/s_ki))]`
 *
 * The network's last layer starts at zero, so a fresh one is the unconditional mixture (μ₀, s₀, ℓ₀)
 * for every context, and data-dependent initialisation can set those as for
 * `MixtureOfDiscretizedLogistics`.
 */
export class ConditionalMixtureOfDiscretizedLogistics extends ConditionalDistribution<ConditionalMixtureOfDiscretizedLogisticsConfig> {
  static override readonly className: string = 'ConditionalMixtureOfDiscretizedLogistics';
  readonly eventShape: readonly number[];
  readonly components: number;
  readonly scale: number;
  readonly network: MLP;
  /** The unconditional part of the parameters, `[K, D]` each. */
  readonly loc: tf.Variable;
  readonly logScale: tf.Variable;
  readonly logits: tf.Variable;
  private readonly contextWidth: number;
  private readonly seed: number;

  constructor(options: ConditionalMixtureOfDiscretizedLogisticsOptions) {
    assertKnownOptions(options, CONDITIONAL_MIXTURE_OPTION_NAMES, 'ConditionalMixtureOfDiscretizedLogistics');
    super();
    const who = 'ConditionalMixtureOfDiscretizedLogistics';
    const { size, contextSize, components } = options;
    for (const [name, value] of [
      ['size', size],
      ['contextSize', contextSize],
      ['components', components],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${who}: ${name} must be a positive integer, got ${value}`);
    }
    const scale = options.scale ?? 1;
    if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`${who}: scale must be a positive number, got ${scale}`);
    this.eventShape = [size];
    this.components = components;
    this.scale = scale;
    this.contextWidth = contextSize;
    this.seed = options.seed ?? 0;
    this.network = new MLP({
      inputSize: contextSize,
      outputSize: 3 * components * size,
      hidden: options.hidden ?? [256],
      activation: options.activation,
      seed: this.seed,
    });
    // Components spread over ±K around 0, unit scales, equal weights: the app sets them from data.
    this.loc = newVariable(() => tf.tile(tf.reshape(tf.linspace(-components, components, components), [components, 1]), [1, size]));
    this.logScale = newVariable(() => tf.zeros([components, size]));
    this.logits = newVariable(() => tf.zeros([components, size]));
  }

  override get contextSize(): number {
    return this.contextWidth;
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.loc, this.logScale, this.logits, ...this.network.trainableVariables];
  }

  /** μ, log s and the mixture logits for each row of the context, each `[N, K, D]` (not tidied: call inside a tidy). */
  parameters(context: tf.Tensor): ConditionalMixtureParameters {
    const n = context.shape[0];
    const [k, d] = [this.components, this.eventShape[0]];
    const raw = tf.reshape(this.network.apply(tf.div(context, this.scale) as tf.Tensor2D), [n, 3, k, d]);
    const [deltaLoc, deltaLogScale, deltaLogits] = tf.unstack(raw, 1) as tf.Tensor3D[];
    return {
      loc: tf.add(this.loc, deltaLoc) as tf.Tensor3D,
      logScale: tf.add(this.logScale, deltaLogScale) as tf.Tensor3D,
      logits: tf.add(this.logits, deltaLogits) as tf.Tensor3D,
    };
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const { loc, logScale, logits } = this.parameters(this.requireContext(context));
    const perComponent = discretizedLogisticLogProb(tf.expandDims(x, 1), loc, logScale, null, null); // [N, K, D]
    const logWeights = tf.sub(logits, tf.logSumExp(logits, 1, true));
    return tf.sum(tf.logSumExp(tf.add(perComponent, logWeights), 1), 1) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    const [k, size] = [this.components, this.eventShape[0]];
    const { loc, logScale, logits } = this.parameters(this.requireContext(context));
    const weights = tf.softmax(tf.transpose(logits, [0, 2, 1])).dataSync(); // [N, D, K]
    const locations = loc.dataSync();
    const scales = tf.exp(logScale).dataSync();
    const out = new Float32Array(n * size);
    for (let row = 0; row < n; row++) {
      for (let i = 0; i < size; i++) {
        let u = random.uniform();
        let c = 0;
        const at = (row * size + i) * k;
        while (c < k - 1 && u >= weights[at + c]) u -= weights[at + c++];
        const v = Math.min(Math.max(random.uniform(), 1e-7), 1 - 1e-7);
        const parameter = (row * k + c) * size + i;
        out[row * size + i] = Math.round(locations[parameter] + temperature * scales[parameter] * (Math.log(v) - Math.log1p(-v)));
      }
    }
    return tf.tensor2d(out, [n, size]);
  }

  getConfig(): ConditionalMixtureOfDiscretizedLogisticsConfig {
    return {
      size: this.eventShape[0],
      contextSize: this.contextWidth,
      components: this.components,
      hidden: this.network.hidden,
      activation: this.network.activation,
      scale: this.scale,
      seed: this.seed,
    };
  }

  static fromConfig(config: ConditionalMixtureOfDiscretizedLogisticsConfig): ConditionalMixtureOfDiscretizedLogistics {
    return new ConditionalMixtureOfDiscretizedLogistics(config);
  }
}
