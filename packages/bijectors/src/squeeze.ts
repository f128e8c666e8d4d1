import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, ConfigError, zeroLogDet } from '@flows/core';

/** Every option Squeeze takes; others are rejected with a message that names them. */
const SQUEEZE_OPTION_NAMES: readonly string[] = ['shape'];

/** What a {@link Squeeze} saves: the data-side shape `[H, W, C]`. */
export type SqueezeConfig = { shape: number[] };

/**
 * Squeeze (Dinh et al., "Density estimation using Real NVP", 2017): each 2 × 2 × c block of an
 * image becomes a 1 × 1 × 4c pixel, trading space for channels so that later layers see local
 * structure through channel masks and 1 × 1 convolutions. A permutation, so the log-det is 0.
 *
 * - inverse (data → base): `[H, W, C] → [H/2, W/2, 4C]`, channel `(2i + j)·C + c` of output pixel
 *   (h, w) is channel c of input pixel (2h + i, 2w + j)
 * - forward (base → data): the reverse, `[H/2, W/2, 4C] → [H, W, C]`
 * - log-det 0 both ways.
 *
 * `shape` is the data-side shape [H, W, C]; H and W must be even.
 */
export class Squeeze extends Bijector<SqueezeConfig> {
  static override readonly className: string = 'Squeeze';
  readonly eventShape: readonly number[];
  private readonly dataShape: readonly number[];

  constructor(options: { shape: [number, number, number] | number[] }) {
    assertKnownOptions(options, SQUEEZE_OPTION_NAMES, 'Squeeze');
    super();
    const shape = options.shape;
    if (!Array.isArray(shape) || shape.length !== 3) throw new ConfigError(`Squeeze: shape must be [height, width, channels], got ${JSON.stringify(shape)}`);
    shape.forEach((d, i) => assertPositiveInteger(d, 'Squeeze', `shape[${i}]`));
    const [h, w, c] = shape;
    if (h % 2 !== 0 || w % 2 !== 0) throw new ConfigError(`Squeeze: height and width must be even, got ${h} × ${w}`);
    this.dataShape = [h, w, c];
    this.eventShape = [h / 2, w / 2, 4 * c];
  }

  override get outputEventShape(): readonly number[] {
    return this.dataShape;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [h, w, c] = this.dataShape;
    const n = x.shape[0];
    const blocks = tf.reshape(x, [n, h / 2, w / 2, 2, 2, c]);
    return [tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, h, w, c]), zeroLogDet(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const [h, w, c] = this.dataShape;
    const n = y.shape[0];
    const blocks = tf.reshape(y, [n, h / 2, 2, w / 2, 2, c]);
    return [tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, h / 2, w / 2, 4 * c]), zeroLogDet(y)];
  }

  getConfig(): SqueezeConfig {
    return { shape: [...this.dataShape] };
  }

  static fromConfig(config: SqueezeConfig): Squeeze {
    return new Squeeze({ shape: config.shape });
  }
}
