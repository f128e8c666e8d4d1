import * as tf from '@tensorflow/tfjs-core';
import { newVariable, type Random, sumEventAxes, assertKnownOptions, optionNames } from '@flows/core';
import { Distribution, LOG_2PI, standardNormalTensor } from './distribution.js';

function checkShape(eventShape: unknown, who: string): number[] {
  const shape = typeof eventShape === 'number' ? [eventShape] : eventShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${who}: event shape must be a positive integer or an array of them, got ${JSON.stringify(eventShape)}`);
  }
  return shape;
}

/** The event shape from `{ size }` or `{ eventShape }` (exactly one of them). */
function eventShapeOption(options: { size?: number; eventShape?: number | number[] }, who: string): number | number[] {
  if (options.size !== undefined && options.eventShape !== undefined) throw new RangeError(`${who}: give size or eventShape, not both`);
  const shape = options.size ?? options.eventShape;
  if (shape === undefined) throw new RangeError(`${who}: give the event size (size: D) or shape (eventShape: [...])`);
  return shape;
}

/** What a {@link StandardNormal} saves. */
export type StandardNormalConfig = { eventShape: number[] };

/**
 * The standard normal N(0, I) over events of any shape:
 * `log p(x) = −½ Σ_i x_i² − (D/2) log 2π`.
 * Sampling at temperature T draws N(0, T² I).
 */
export class StandardNormal extends Distribution<StandardNormalConfig> {
  static override readonly className: string = 'StandardNormal';
  readonly eventShape: readonly number[];

  /**
   * @param shape the event size D (`2`, or `{ size: 2 }`, as the other distributions take it), or
   * an event shape (`[28, 28, 1]`, or `{ eventShape: [28, 28, 1] }`).
   */
  constructor(shape: number | number[] | { size?: number; eventShape?: number | number[] }) {
    super();
    if (typeof shape === 'object' && !Array.isArray(shape) && shape !== null) {
      assertKnownOptions(shape, ['size', 'eventShape'], 'StandardNormal');
      this.eventShape = checkShape(eventShapeOption(shape, 'StandardNormal'), 'StandardNormal');
    } else {
      this.eventShape = checkShape(shape as number | number[], 'StandardNormal');
    }
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    return tf.sub(tf.mul(sumEventAxes(tf.square(x)), -0.5), 0.5 * this.eventSize * LOG_2PI) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    return standardNormalTensor([n, ...this.eventShape], random, temperature);
  }

  /** `H = (D/2)(1 + log 2π)` nats. */
  override entropy(): number {
    return 0.5 * this.eventSize * (1 + LOG_2PI);
  }

  getConfig(): StandardNormalConfig {
    return { eventShape: [...this.eventShape] };
  }

  static fromConfig(config: StandardNormalConfig): StandardNormal {
    return new StandardNormal(config.eventShape);
  }
}

/** Options of {@link DiagonalNormal}. */
export interface DiagonalNormalOptions {
  /** The event shape, e.g. `[28, 28, 1]`; or give `size` for a vector of D coordinates. */
  eventShape?: number | number[];
  /** The event size D (the same as `eventShape: [D]`). */
  size?: number;
  mean?: ArrayLike<number>;
  logScale?: ArrayLike<number>;
  /** Learn mean and log-scale (default true). */
  trainable?: boolean;
}

/** Every option DiagonalNormal takes; others are rejected with a message that names them. */
const DIAGONAL_NORMAL_OPTION_NAMES = optionNames<DiagonalNormalOptions>()(['eventShape', 'size', 'mean', 'logScale', 'trainable']);

/** What a {@link DiagonalNormal} saves (its mean and log-scale are weights). */
export type DiagonalNormalConfig = { eventShape: number[]; trainable: boolean };

/**
 * A normal with diagonal covariance and learnable mean μ and log-scale log σ:
 * `log p(x) = Σ_i [−½ ((x_i − μ_i)/σ_i)² − log σ_i − ½ log 2π]`.
 */
export class DiagonalNormal extends Distribution<DiagonalNormalConfig> {
  static override readonly className: string = 'DiagonalNormal';
  readonly eventShape: readonly number[];
  readonly mean: tf.Variable;
  readonly logScale: tf.Variable;
  private readonly trainable: boolean;

  constructor(options: DiagonalNormalOptions) {
    assertKnownOptions(options, DIAGONAL_NORMAL_OPTION_NAMES, 'DiagonalNormal');
    super();
    this.eventShape = checkShape(eventShapeOption(options, 'DiagonalNormal'), 'DiagonalNormal');
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

  /** `H = Σ_i [½(1 + log 2π) + log σ_i]` nats, from the current log-scale (read back from the device). */
  override entropy(): number {
    this.assertNotDisposed('DiagonalNormal.entropy');
    const logScale = this.logScale.dataSync();
    let total = 0;
    for (let i = 0; i < logScale.length; i++) total += 0.5 * (1 + LOG_2PI) + logScale[i];
    return total;
  }

  getConfig(): DiagonalNormalConfig {
    return { eventShape: [...this.eventShape], trainable: this.trainable };
  }

  static fromConfig(config: DiagonalNormalConfig): DiagonalNormal {
    return new DiagonalNormal({ eventShape: config.eventShape, trainable: config.trainable });
  }
}
