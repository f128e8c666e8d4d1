import * as tf from '@tensorflow/tfjs-core';
import { Module, type Serialized, Random, validateContext, validateEvents, assertKnownOptions, optionNames } from '@flows/core';

/** How to draw samples. */
export interface SampleOptions {
  /** A seed or a generator; without either, a fresh random seed. */
  random?: Random | number;
  /** Scale of the base noise (1 = the distribution itself; below 1 gives cleaner, less diverse samples). */
  temperature?: number;
  /** Context for conditional distributions: one row per sample, or one row for all of them. */
  context?: tf.Tensor;
}

/** A distribution as stored in a saved model. */
export type SerializedDistribution = Serialized;

const SAMPLE_OPTION_NAMES = optionNames<SampleOptions>()(['random', 'temperature', 'context']);

/** Thrown where a quantity (such as the entropy) has no closed form for a distribution. */
export class NoClosedFormError extends Error {
  constructor(className: string, quantity: string) {
    super(`${className} has no closed-form ${quantity}; estimate it by Monte Carlo (for the entropy: −mean(logProb(sample(n))))`);
    this.name = 'NoClosedFormError';
  }
}

/**
 * A probability distribution over events of shape `eventShape`.
 *
 * `logProb` returns one natural-log density per batch row. Public methods validate their input
 * and run under `tf.tidy`; `uncheckedLogProb` skips both, for use inside an outer tidy or a
 * gradient tape (training loops).
 */
export abstract class Distribution<Config extends object = Record<string, unknown>> extends Module<Config> {
  abstract readonly eventShape: readonly number[];

  get contextSize(): number {
    return 0;
  }

  /** Size of one event (the product of `eventShape`). */
  get eventSize(): number {
    return this.eventShape.reduce((a, b) => a * b, 1);
  }

  /**
   * The shape of a batch of independent distributions of one family (as in TensorFlow Probability
   * and distrax). Every distribution here is a single distribution over events of `eventShape`:
   * `[]`. A batch of data is the rows of the input to `logProb`, not part of this shape.
   */
  get batchShape(): readonly number[] {
    return [];
  }

  /**
   * The differential entropy `H = −E[log p(X)]` in nats (for discrete events the Shannon entropy),
   * where a closed form exists; otherwise throws {@link NoClosedFormError} (estimate it by Monte
   * Carlo instead: `−mean(logProb(sample(n)))`).
   */
  entropy(): number {
    throw new NoClosedFormError(this.className, 'entropy');
  }

  protected abstract logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D;

  protected abstract sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor;

  uncheckedLogProb(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    return this.logProbImpl(x, context);
  }

  /** Throws a clear error when the distribution's variables have been disposed. */
  protected assertNotDisposed(who: string): void {
    if (this.isDisposed) {
      throw new Error(`${who}: this ${this.className} has been disposed (its variables are freed); build or load the model again`);
    }
  }

  /** Natural-log density of each row of `x`. */
  logProb(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const who = `${this.className}.logProb`;
    this.assertNotDisposed(who);
    validateEvents(x, this.eventShape, who);
    const rows = x.shape[0];
    validateContext(context, sharedContextRow(context, rows) ? 1 : rows, this.contextSize, who);
    return tf.tidy(() => this.logProbImpl(x, contextForRows(context, rows)));
  }

  /**
   * `n` samples, shape `[n, ...eventShape]`: with a context, each under its own row of it, or all
   * under one row (repeated on the device: one batched pass, no loop over rows).
   */
  sample(n: number, options: SampleOptions = {}): tf.Tensor {
    if (sharedContextRow(options.context, n) && this.contextSize > 0) {
      validateContext(options.context, 1, this.contextSize, `${this.className}.sample`);
      const repeated = tf.tile(options.context as tf.Tensor, [n, 1]);
      try {
        return this.sample(n, { ...options, context: repeated });
      } finally {
        repeated.dispose();
      }
    }
    const { random, temperature } = this.sampleArguments(n, options);
    return tf.tidy(() => this.sampleImpl(n, random, temperature, options.context));
  }

  protected sampleArguments(n: number, options: SampleOptions): { random: Random; temperature: number } {
    assertKnownOptions(options, SAMPLE_OPTION_NAMES, `${this.className}.sample`);
    this.assertNotDisposed(`${this.className}.sample`);
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`${this.className}.sample: n must be a positive integer, got ${typeof n === 'number' ? n : `the ${typeof n} ${JSON.stringify(n)}`}`);
    }
    const temperature = options.temperature ?? 1;
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new RangeError(`${this.className}.sample: temperature must be a positive number, got ${temperature}`);
    }
    validateContext(options.context, n, this.contextSize, `${this.className}.sample`);
    const random = options.random instanceof Random ? options.random : new Random(options.random ?? Math.floor(Math.random() * 2 ** 32));
    return { random, temperature };
  }
}

/** Whether `context` is one row meant for all `rows` events (a conditional flow's posterior at one observation). */
function sharedContextRow(context: tf.Tensor | undefined, rows: number): boolean {
  return context instanceof tf.Tensor && context.rank === 2 && context.shape[0] === 1 && rows > 1;
}

/** `context` with its one shared row repeated `rows` times (inside a tidy), or as it is. */
function contextForRows(context: tf.Tensor | undefined, rows: number): tf.Tensor | undefined {
  return context && sharedContextRow(context, rows) ? tf.tile(context, [rows, 1]) : context;
}

/** A float32 tensor of standard-normal draws from the project's generator (backend independent). */
export function standardNormalTensor(shape: number[], random: Random, std = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.fillNormal(new Float32Array(size), 0, std), shape, 'float32');
}

/** A float32 tensor of U[low, high) draws from the project's generator. */
export function uniformTensor(shape: number[], random: Random, low = 0, high = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.fillUniform(new Float32Array(size), low, high), shape, 'float32');
}

export const LOG_2PI = Math.log(2 * Math.PI);
