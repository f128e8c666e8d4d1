import type { VectorConditioner } from './conditioner.js';

/**
 * A network that maps a raw context to the vector a flow's conditioners read, trained with the
 * flow (an "embedding net", as in nflows and sbi). It is a {@link VectorConditioner} over the
 * context flattened to `inputSize` values per row, so it saves, loads and trains like any
 * conditioner; `contextShape` says how one row is shaped (a set `[S, E]`, an image `[H, W, C]`),
 * so that contexts can be given as `[N, ...contextShape]` as well as flat.
 */
export interface ContextEmbedding extends VectorConditioner {
  /** Shape of one row of context, `inputSize` values in all. */
  readonly contextShape: readonly number[];
}

/** The shape of one row of context that `embedding` reads: its `contextShape`, or `[inputSize]` for a plain network (an MLP). */
export function embeddingContextShape(embedding: VectorConditioner): readonly number[] {
  const shape = (embedding as Partial<ContextEmbedding>).contextShape;
  return Array.isArray(shape) ? shape : [embedding.inputSize];
}
