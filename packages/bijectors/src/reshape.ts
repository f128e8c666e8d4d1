import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, ConfigError, zeroLogDet } from '@flows/core';

/** Every option Reshape takes; others are rejected with a message that names them. */
const RESHAPE_OPTION_NAMES: readonly string[] = ['baseShape', 'dataShape'];

/** What a {@link Reshape} saves: the event shapes of its two sides. */
export type ReshapeConfig = { baseShape: number[]; dataShape: number[] };

/**
 * The same values under another event shape: the joint between parts of a flow that see events
 * differently, such as the flat vectors of a multi-scale base (`FactorOutDistribution` works on
 * vectors) and the image layers of the next level. A relabelling in row-major order, so the
 * Jacobian is the identity:
 *
 * - forward (base → data): `y = reshape(z, dataShape)`, log-det 0
 * - inverse (data → base): `z = reshape(y, baseShape)`, log-det 0
 *
 * Both shapes must hold the same number of values.
 */
export class Reshape extends Bijector<ReshapeConfig> {
  static override readonly className: string = 'Reshape';
  readonly eventShape: readonly number[];
  private readonly dataShape: readonly number[];

  constructor(options: { baseShape: number[]; dataShape: number[] }) {
    assertKnownOptions(options, RESHAPE_OPTION_NAMES, 'Reshape');
    super();
    const { baseShape, dataShape } = options;
    for (const [name, shape] of [
      ['baseShape', baseShape],
      ['dataShape', dataShape],
    ] as const) {
      if (!Array.isArray(shape) || shape.length === 0)
        throw new ConfigError(`Reshape: ${name} must be a non-empty array of sizes, got ${JSON.stringify(shape)}`);
      shape.forEach((d, i) => assertPositiveInteger(d, 'Reshape', `${name}[${i}]`));
    }
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    if (size(baseShape) !== size(dataShape))
      throw new ConfigError(
        `Reshape: baseShape [${baseShape.join(', ')}] holds ${size(baseShape)} values and dataShape [${dataShape.join(', ')}] ${size(dataShape)}; they must hold the same number`,
      );
    this.eventShape = [...baseShape];
    this.dataShape = [...dataShape];
  }

  override get outputEventShape(): readonly number[] {
    return this.dataShape;
  }

  protected forwardImpl(z: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.reshape(z, [z.shape[0], ...this.dataShape]), zeroLogDet(z)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.reshape(y, [y.shape[0], ...this.eventShape]), zeroLogDet(y)];
  }

  getConfig(): ReshapeConfig {
    return { baseShape: [...this.eventShape], dataShape: [...this.dataShape] };
  }

  static fromConfig(config: ReshapeConfig): Reshape {
    return new Reshape({ baseShape: config.baseShape, dataShape: config.dataShape });
  }
}
