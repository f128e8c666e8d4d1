import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError, assertKnownOptions, assertPositiveInteger, Bijector, ConfigError, newVariable, perRow } from '@flows/core';
import { actNormInverse } from '@flows/kernels';

/** Every option ActNorm takes; others are rejected with a message that names them. */
const ACT_NORM_OPTION_NAMES: readonly string[] = ['size', 'shape'];

/** What an {@link ActNorm} saves: the event size (vectors) or shape (images). */
export type ActNormConfig = { size: number } | { shape: number[] };

/**
 * ActNorm (Kingma and Dhariwal, "Glow", 2018): a per-coordinate (vectors, `{ size }`) or
 * per-channel (images `[H, W, C]`, `{ shape }`) affine map whose parameters are initialised from
 * the first batch it sees in the density direction, so that batch maps to zero mean and unit
 * variance per coordinate or channel, and are learned afterwards.
 *
 * - forward (base → data): `y = x ⊙ exp(logScale) + bias`; log-det `H · W · Σ_c logScale_c` (H·W = 1 for vectors)
 * - inverse (data → base): `x = (y − bias) ⊙ exp(−logScale)`; log-det `−H · W · Σ_c logScale_c`
 * - initialisation (first inverse call): `bias = mean(y)`, `logScale = log(std(y) + 1e-6)`.
 *
 * Whether it has been initialised is saved with the model (a non-trainable variable), so a
 * loaded model is not re-initialised. A first call in the forward direction leaves it as the
 * identity until a density call initialises it.
 */
export class ActNorm extends Bijector<ActNormConfig> {
  static override readonly className: string = 'ActNorm';
  readonly eventShape: readonly number[];
  readonly bias: tf.Variable;
  readonly logScale: tf.Variable;
  readonly initialized: tf.Variable;
  private initializedCache: boolean | null = null;
  private readonly positions: number;

  constructor(options: { size: number } | { shape: number[] }) {
    assertKnownOptions(options, ACT_NORM_OPTION_NAMES, 'ActNorm');
    super();
    const shape = 'shape' in options ? [...options.shape] : [options.size];
    if (!Array.isArray(shape) || shape.length < 1) throw new ConfigError('ActNorm: give { size } for vectors or { shape: [H, W, C] } for images');
    shape.forEach((d, i) => assertPositiveInteger(d, 'ActNorm', shape.length === 1 ? 'size' : `shape[${i}]`));
    this.eventShape = shape;
    const channels = shape[shape.length - 1];
    // Each parameter is shared by the H·W positions of its channel.
    this.positions = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    this.bias = newVariable(() => tf.zeros([channels]));
    this.logScale = newVariable(() => tf.zeros([channels]));
    this.initialized = newVariable(() => tf.scalar(0), false);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.bias, this.logScale];
  }

  override get variables(): tf.Variable[] {
    return [this.bias, this.logScale, this.initialized];
  }

  /** Whether the data-dependent initialisation has happened (read once, then cached). */
  get isInitialized(): boolean {
    if (this.initializedCache === null) this.initializedCache = this.initialized.dataSync()[0] === 1;
    return this.initializedCache;
  }

  /** Sets bias and log-scale from a batch of data (data → base gives zero mean, unit variance). */
  initializeFrom(y: tf.Tensor): void {
    tf.tidy(() => {
      const axes = Array.from({ length: y.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(y, axes);
      // Read once, at the start only: NaN statistics would stay in the layer for good. One float,
      // 0 when every statistic is finite (0 · x), NaN otherwise: the webgpu backend reads a float
      // back synchronously where a boolean (tf.all of tf.isFinite) came back wrong in Chromium's
      // software adapter, which refused every spline flow's start there.
      if (!Number.isFinite(tf.sum(tf.mul(tf.add(mean, variance), 0)).dataSync()[0]))
        throw new BijectorInputError(
          'ActNorm: its data-dependent start needs finite values, and the first batch it sees has NaN or infinite ones (in the data, or from a layer before it); nothing was set, so a batch of valid data starts it',
        );
      this.bias.assign(mean);
      this.logScale.assign(tf.log(tf.add(tf.sqrt(variance), 1e-6)));
      this.initialized.assign(tf.scalar(1));
    });
    this.initializedCache = true;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.add(tf.mul(x, tf.exp(this.logScale)), this.bias), perRow(tf.mul(tf.sum(this.logScale), this.positions), x.shape[0])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    if (!this.isInitialized) this.initializeFrom(y);
    // One fused kernel each way where the backend has it (wasm with @flows/native-kernels), else the stock composition.
    return [actNormInverse(y, this.bias, this.logScale), perRow(tf.mul(tf.sum(this.logScale), -this.positions), y.shape[0])];
  }

  getConfig(): ActNormConfig {
    return this.eventShape.length === 1 ? { size: this.eventShape[0] } : { shape: [...this.eventShape] };
  }

  static fromConfig(config: ActNormConfig): ActNorm {
    return new ActNorm('shape' in config ? { shape: config.shape } : { size: config.size });
  }
}
