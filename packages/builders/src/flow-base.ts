import { ConfigError } from '@flows/core';
import { Distribution, EmbeddedContext, StandardNormal, type TransformedDistribution } from '@flows/distributions';
import type { VectorConditioner } from '@flows/networks';

/** What every vector builder takes about its event size and base distribution. */
export interface FlowBaseOptions {
  /** Event size D (required unless `base` gives it). */
  size?: number;
  /**
   * The base distribution (default a standard normal of `size`): any distribution of events of
   * size D, for example a `DiagonalNormal` whose location and scale train with the layers, or a
   * `MixtureOfGaussians`. The flow owns it from then on (`flow.dispose()` frees it too); when the
   * builder refuses its options, the base is left as it was given.
   */
  base?: Distribution;
}

/**
 * The option that makes a builder return an `EmbeddedContext` instead of the flow itself (kept out
 * of the builders' option types so that a program's options of those types still get a
 * `TransformedDistribution` back).
 */
export interface EmbeddingOption {
  /**
   * A network from the raw context to the vector the conditioners read (an `MLP`, an
   * `ImageEmbedding` for image contexts, a `DeepSets` encoder for sets of observations), trained
   * with the flow: the builder returns an `EmbeddedContext` around the flow, whose
   * `trainableVariables` include the embedding's, so `fit` trains both and `saveModel` saves both.
   * The conditioners then read `embedding.outputSize` values (`contextSize`, if given, must agree)
   * and `logProb`/`sample` take the raw contexts (`[N, ...contextShape]` or flat). Give it random
   * last-layer weights (`zeroInitLast: false` for an `MLP`): a zero output passes no gradient back.
   */
  embedding: VectorConditioner;
}

/** A builder's options, with or without an embedding. */
export type MaybeEmbedded<Options> = Options & Partial<EmbeddingOption>;

/** The context width the conditioners read: `contextSize`, or the embedding's output, checked to agree. */
export function conditionerContextSize(options: MaybeEmbedded<{ contextSize?: number }>, who: string): number | undefined {
  const embedding = options.embedding;
  if (embedding === undefined) return options.contextSize;
  if (!embedding || typeof embedding.apply !== 'function' || embedding.acceptsImages || !Number.isInteger(embedding.outputSize)) {
    throw new ConfigError(`${who}: embedding must be a vector network (an MLP, ImageEmbedding or DeepSets from @flows/networks)`);
  }
  if (options.contextSize !== undefined && options.contextSize !== embedding.outputSize) {
    throw new ConfigError(
      `${who}: contextSize is ${options.contextSize} but the embedding gives ${embedding.outputSize} values; with an embedding, leave contextSize out (the conditioners read the embedding)`,
    );
  }
  return embedding.outputSize;
}

/** The flow, inside an {@link EmbeddedContext} when the options give an embedding. */
export function withEmbedding(options: Partial<EmbeddingOption>, flow: TransformedDistribution): TransformedDistribution | EmbeddedContext {
  return options.embedding ? new EmbeddedContext(flow, options.embedding) : flow;
}

/**
 * The event size D of a vector flow, from `size` or from the base's events, checked to be an
 * integer of at least `least` and to agree with the base when both are given.
 */
export function flowSize(options: FlowBaseOptions, who: string, least: number): number {
  const base = options.base;
  if (base !== undefined && !(base instanceof Distribution)) {
    throw new ConfigError(`${who}: base must be a Distribution (StandardNormal, DiagonalNormal, …), got ${typeof base}`);
  }
  if (base !== undefined && base.eventShape.length !== 1) {
    throw new ConfigError(`${who}: base must have vector events of shape [D], got [${base.eventShape.join(', ')}]`);
  }
  const size = options.size ?? base?.eventSize;
  if (!Number.isInteger(size) || (size as number) < least) throw new RangeError(`${who}: size (the event size D) must be an integer >= ${least}, got ${size}`);
  if (base !== undefined && base.eventSize !== size) {
    throw new ConfigError(`${who}: size is ${size} but the base has events of size ${base.eventSize}; give one of them, or both alike`);
  }
  return size as number;
}

/** The given base, or a standard normal of `size`. */
export function flowBase(options: FlowBaseOptions, size: number): Distribution {
  return options.base ?? new StandardNormal(size);
}
