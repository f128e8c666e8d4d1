import * as tf from '@tensorflow/tfjs-core';
import { type Serialized, assertKnownOptions, assertPositiveInteger, Bijector, bijectorFromJSON, BijectorInputError, ConfigError } from '@flows/core';

/** Every option FactorOut takes; others are rejected with a message that names them. */
const FACTOR_OUT_OPTION_NAMES: readonly string[] = ['shape', 'keepChannels', 'inner'];

/** What a {@link FactorOut} saves: the event shape, the kept channels and the inner flow as `{ className, config }`. */
export type FactorOutConfig = { shape: number[]; keepChannels: number; inner: Serialized };

/**
 * The factor-out step of multi-scale flows (Real NVP, Glow): of an `[H, W, C]` image, the first
 * `keepChannels` channels go on through an inner flow, the other channels leave for the base
 * distribution at once. The base side is flat, so levels nest:
 *
 * - inverse (data → base): `z = [flatten(inner⁻¹(y[..., :k])), flatten(y[..., k:])]`; log-det the inner's
 * - forward (base → data): `y = concat(inner(z[:D_k] reshaped), z[D_k:] reshaped)` on channels; log-det the inner's
 *
 * With a standard normal base this is Real NVP's factoring out (the factored dimensions are
 * modelled by the base directly). The inner flow's data side must be `[H, W, keepChannels]`; its
 * base side may have any shape of the same size (typically a nested squeeze and factor-out).
 */
export class FactorOut extends Bijector<FactorOutConfig> {
  static override readonly className: string = 'FactorOut';
  readonly eventShape: readonly number[];
  readonly inner: Bijector;
  readonly keepChannels: number;
  private readonly dataShape: readonly number[];

  constructor(options: { shape: number[]; keepChannels: number; inner: Bijector }) {
    assertKnownOptions(options, FACTOR_OUT_OPTION_NAMES, 'FactorOut');
    super();
    const { shape, keepChannels, inner } = options;
    if (!Array.isArray(shape) || shape.length !== 3) throw new ConfigError(`FactorOut: shape must be [height, width, channels], got ${JSON.stringify(shape)}`);
    shape.forEach((d, i) => assertPositiveInteger(d, 'FactorOut', `shape[${i}]`));
    assertPositiveInteger(keepChannels, 'FactorOut', 'keepChannels');
    if (keepChannels >= shape[2]) throw new ConfigError(`FactorOut: keepChannels must be below the ${shape[2]} channels, got ${keepChannels}`);
    const [h, w] = shape;
    const innerData = inner.outputEventShape;
    if (!innerData || innerData.join(',') !== [h, w, keepChannels].join(',')) {
      throw new BijectorInputError(
        `FactorOut: the inner flow's data side must be [${h}, ${w}, ${keepChannels}], got ${innerData ? `[${innerData.join(', ')}]` : 'any shape'}`,
      );
    }
    this.inner = inner;
    this.keepChannels = keepChannels;
    this.dataShape = [...shape];
    this.eventShape = [shape.reduce((a, b) => a * b, 1)];
  }

  override get outputEventShape(): readonly number[] {
    return this.dataShape;
  }

  override get contextSize(): number {
    return this.inner.contextSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables;
  }

  override get variables(): tf.Variable[] {
    return this.inner.variables;
  }

  override get hasInverse(): boolean {
    return this.inner.hasInverse;
  }

  private get keptSize(): number {
    const [h, w] = this.dataShape;
    return h * w * this.keepChannels;
  }

  protected forwardImpl(z: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [h, w, c] = this.dataShape;
    const n = z.shape[0];
    const kept = tf.slice(z, [0, 0], [n, this.keptSize]);
    const rest = tf.reshape(tf.slice(z, [0, this.keptSize], [n, z.shape[1]! - this.keptSize]), [n, h, w, c - this.keepChannels]);
    const [y, logDet] = this.inner.uncheckedForwardAndLogDet(tf.reshape(kept, [n, ...(this.inner.eventShape ?? [this.keptSize])]), context);
    return [tf.concat([y, rest], 3), logDet];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [h, w, c] = this.dataShape;
    const n = y.shape[0];
    const kept = tf.slice(y, [0, 0, 0, 0], [n, h, w, this.keepChannels]);
    const rest = tf.slice(y, [0, 0, 0, this.keepChannels], [n, h, w, c - this.keepChannels]);
    const [z, logDet] = this.inner.uncheckedInverseAndLogDet(kept, context);
    return [tf.concat([tf.reshape(z, [n, this.keptSize]), tf.reshape(rest, [n, h * w * (c - this.keepChannels)])], 1), logDet];
  }

  getConfig(): FactorOutConfig {
    return { shape: [...this.dataShape], keepChannels: this.keepChannels, inner: this.inner.toJSON() };
  }

  static fromConfig(config: FactorOutConfig): FactorOut {
    return new FactorOut({ shape: config.shape, keepChannels: config.keepChannels, inner: bijectorFromJSON(config.inner) });
  }

  override dispose(): void {
    this.inner.dispose();
  }
}
