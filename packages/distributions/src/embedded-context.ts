import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError, ConfigError, type Random, type Serialized } from '@flows/core';
import { conditionerFromJSON, conditionerToJSON, embeddingContextShape, type VectorConditioner } from '@flows/networks';
import { Distribution, type SampleOptions } from './distribution.js';
import { distributionFromJSON } from './distribution-registry.js';

/** What an {@link EmbeddedContext} saves: the distribution and the embedding network. */
export type EmbeddedContextConfig = { distribution: Serialized; embedding: Serialized };

/**
 * A conditional distribution whose context first goes through a network, `p(x | c) = q(x | e(c))`,
 * as nflows' `Flow` does with its `embedding_net` and sbi's density estimators with theirs: the
 * embedding (an `MLP`, an `ImageEmbedding` for image contexts, a `DeepSets` encoder for sets of
 * observations, any registered vector conditioner) turns a large or structured context into the
 * short vector the flow's conditioners read. Its weights are among `trainableVariables`, so `fit`
 * trains it with the flow, and it is saved and loaded with the model.
 *
 * Contexts come one row per event, as `[N, ...contextShape]` (a set `[N, S, E]`, images
 * `[N, H, W, C]`) or flattened to `[N, contextSize]`; `sample(n, { context })` and `logProb`
 * also take a single row for all events, which is embedded once.
 */
export class EmbeddedContext extends Distribution<EmbeddedContextConfig> {
  static override readonly className: string = 'EmbeddedContext';
  readonly eventShape: readonly number[];
  /** Shape of one row of context (before flattening): the embedding's. */
  readonly contextShape: readonly number[];

  constructor(
    readonly distribution: Distribution,
    readonly embedding: VectorConditioner,
  ) {
    super();
    if (!(distribution instanceof Distribution)) throw new BijectorInputError('EmbeddedContext: distribution must be a Distribution');
    if (!embedding || typeof embedding.apply !== 'function' || embedding.acceptsImages)
      throw new BijectorInputError('EmbeddedContext: embedding must be a vector conditioner (an MLP, ImageEmbedding or DeepSets)');
    if (distribution.contextSize !== embedding.outputSize) {
      throw new BijectorInputError(
        `EmbeddedContext: the embedding gives ${embedding.outputSize} values but the distribution takes a context of ${distribution.contextSize}`,
      );
    }
    this.eventShape = distribution.eventShape;
    this.contextShape = embeddingContextShape(embedding);
  }

  override get contextSize(): number {
    return this.embedding.inputSize;
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.embedding.trainableVariables, ...this.distribution.trainableVariables];
  }

  override get variables(): tf.Variable[] {
    return [...this.embedding.trainableVariables, ...this.distribution.variables];
  }

  /** The embedded context, `[rows, outputSize]`, from rows shaped `[rows, ...contextShape]` or flat. */
  private embed(context: tf.Tensor | undefined): tf.Tensor2D {
    if (!context) throw new BijectorInputError(`EmbeddedContext: a context of width ${this.contextSize} is required (one row per event)`);
    return this.embedding.apply(tf.reshape(context, [context.shape[0], this.contextSize]) as tf.Tensor2D);
  }

  /** Checks that `context` is one row per event (`rows` of them) or one row for all, shaped or flat. */
  private checkContext(context: tf.Tensor | undefined, rows: number, who: string): tf.Tensor {
    const shape = `[${rows} or 1, ${this.contextShape.join(', ')}]${this.contextShape.length > 1 ? ` or [${rows} or 1, ${this.contextSize}]` : ''}`;
    if (!(context instanceof tf.Tensor)) throw new BijectorInputError(`${who}: needs a context of shape ${shape}, none given`);
    const row = context.shape.slice(1);
    const shaped = row.length === this.contextShape.length && row.every((d, i) => d === this.contextShape[i]);
    const flat = row.length === 1 && row[0] === this.contextSize;
    if (!(shaped || flat) || (context.shape[0] !== rows && context.shape[0] !== 1)) {
      throw new BijectorInputError(`${who}: context must have shape ${shape}, got [${context.shape.join(', ')}]`);
    }
    return context;
  }

  /** The embedded context for `rows` events: one embedding per row, or one repeated. */
  private embedFor(context: tf.Tensor, rows: number): tf.Tensor2D {
    const embedded = this.embed(context);
    return embedded.shape[0] === rows ? embedded : tf.tile(embedded, [rows, 1]);
  }

  override logProb(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    const who = 'EmbeddedContext.logProb';
    this.assertNotDisposed(who);
    if (!(x instanceof tf.Tensor)) throw new BijectorInputError(`${who}: x must be a tensor of events of shape [N, ${this.eventShape.join(', ')}]`);
    const checked = this.checkContext(context, x.shape[0], who);
    return tf.tidy(() => this.distribution.logProb(x, this.embedFor(checked, x.shape[0])));
  }

  /**
   * `n` samples, each under its own row of `context` or all under one row; the embedding runs
   * once over all rows and the flow samples them in one pass (no loop over rows).
   */
  override sample(n: number, options: SampleOptions = {}): tf.Tensor {
    const who = 'EmbeddedContext.sample';
    this.assertNotDisposed(who);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${who}: n must be a positive integer, got ${String(n)}`);
    const checked = this.checkContext(options.context, n, who);
    return tf.tidy(() => this.distribution.sample(n, { ...options, context: this.embedFor(checked, n) }));
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    return this.distribution.uncheckedLogProb(x, this.embed(context));
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    return this.distribution.sample(n, { random, temperature, context: this.embed(context) });
  }

  getConfig(): EmbeddedContextConfig {
    return { distribution: this.distribution.toJSON(), embedding: conditionerToJSON(this.embedding) };
  }

  static fromConfig(config: EmbeddedContextConfig): EmbeddedContext {
    const embedding = conditionerFromJSON(config.embedding);
    if (embedding.acceptsImages) throw new ConfigError('EmbeddedContext: the embedding must be a vector conditioner');
    return new EmbeddedContext(distributionFromJSON(config.distribution), embedding);
  }

  override dispose(): void {
    this.embedding.dispose();
    this.distribution.dispose();
  }
}
