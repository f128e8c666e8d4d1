import * as tf from '@tensorflow/tfjs';
import { newVariable, Random, sumEventAxes } from '@flows/bijectors';
import { Distribution, LOG_2PI, standardNormalTensor } from './distribution.js';

function checkShape(eventShape: unknown, who: string): number[] {
  const shape = typeof eventShape === 'number' ? [eventShape] : eventShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${who}: event shape must be a positive integer or an array of them, got ${JSON.stringify(eventShape)}`);
  }
  return shape;
}

/**
 * The standard normal N(0, I) over events of any shape:
 * `log p(x) = −½ Σ_i x_i² − (D/2) log 2π`.
 * Sampling at temperature T draws N(0, T² I).
 */
export class StandardNormal extends Distribution {
  readonly className = 'StandardNormal';
  readonly eventShape: readonly number[];

  /** @param eventShape the event size D, or a shape such as `[28, 28, 1]`. */
  constructor(eventShape: number | number[]) {
    super();
    this.eventShape = checkShape(eventShape, 'StandardNormal');
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return tf.sub(tf.mul(sumEventAxes(tf.square(x)), -0.5), 0.5 * this.eventSize * LOG_2PI) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    return standardNormalTensor([n, ...this.eventShape], random, temperature);
  }

  getConfig(): Record<string, unknown> {
    return { eventShape: [...this.eventShape] };
  }

  static fromConfig(config: Record<string, unknown>): StandardNormal {
    return new StandardNormal(config.eventShape as number[]);
  }
}

/** Options of {@link DiagonalNormal}. */
export interface DiagonalNormalOptions {
  eventShape: number | number[];
  mean?: ArrayLike<number>;
  logScale?: ArrayLike<number>;
  /** Learn mean and log-scale (default true). */
  trainable?: boolean;
}

/**
 * A normal with diagonal covariance and learnable mean μ and log-scale log σ:
 * `log p(x) = Σ_i [−½ ((x_i − μ_i)/σ_i)² − log σ_i − ½ log 2π]`.
 */
export class DiagonalNormal extends Distribution {
  readonly className = 'DiagonalNormal';
  readonly eventShape: readonly number[];
  readonly mean: tf.Variable;
  readonly logScale: tf.Variable;
  private readonly trainable: boolean;

  constructor(options: DiagonalNormalOptions) {
    super();
    this.eventShape = checkShape(options.eventShape, 'DiagonalNormal');
    const size = this.eventSize;
    const read = (values: ArrayLike<number> | undefined, name: string) => {
      if (values === undefined) return tf.zeros(this.eventShape as number[]);
      if (values.length !== size) throw new RangeError(`DiagonalNormal: ${name} must have ${size} entries, got ${values.length}`);
      return tf.tensor(Array.from(values), this.eventShape as number[]);
    };
    this.trainable = options.trainable ?? true;
    this.mean = newVariable(() => read(options.mean, 'mean'), this.trainable);
    this.logScale = newVariable(() => read(options.logScale, 'logScale'), this.trainable);
  }

  override get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.mean, this.logScale] : [];
  }

  override get variables(): tf.Variable[] {
    return [this.mean, this.logScale];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const standardized = tf.mul(tf.sub(x, this.mean), tf.exp(tf.neg(this.logScale)));
    const perCoordinate = tf.sub(tf.mul(tf.square(standardized), -0.5), tf.add(this.logScale, 0.5 * LOG_2PI));
    return sumEventAxes(perCoordinate);
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const noise = standardNormalTensor([n, ...this.eventShape], random, temperature);
    return tf.add(tf.mul(noise, tf.exp(this.logScale)), this.mean);
  }

  getConfig(): Record<string, unknown> {
    return { eventShape: [...this.eventShape], trainable: this.trainable };
  }

  static fromConfig(config: Record<string, unknown>): DiagonalNormal {
    return new DiagonalNormal({ eventShape: config.eventShape as number[], trainable: config.trainable as boolean });
  }
}
