import { registeredTransformers, registerTransformer } from '@flows/bijectors';
import { BernsteinTransformer } from './bernstein-transformer.js';
import { DeepSigmoidalTransformer } from './deep-sigmoidal-transformer.js';
import { InvertedTransformer } from './inverted-transformer.js';
import { SumOfSquaresTransformer } from './sum-of-squares-transformer.js';
import { UMNNTransformer } from './umnn-transformer.js';

/** Every transformer class of this package. */
export const MONOTONE_TRANSFORMERS = [UMNNTransformer, SumOfSquaresTransformer, BernsteinTransformer, DeepSigmoidalTransformer, InvertedTransformer] as const;

/**
 * Makes this package's transformers known to `transformerFromJSON` (and so to `bijectorFromJSON`
 * for any `TransformerCoupling`, `MaskedAutoregressive` or `InverseAutoregressive` that uses them),
 * so saved models load. Safe to call more than once.
 */
export function registerMonotoneTransformers(): void {
  const known = new Set(registeredTransformers());
  for (const transformer of MONOTONE_TRANSFORMERS) if (!known.has(transformer.className)) registerTransformer(transformer);
}
