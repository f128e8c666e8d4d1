import { kindRegistry, type ModuleFactory, type Serialized } from '@flows/core';
import type { Transformer } from './transformer.js';

/** Rebuilds a transformer from its `getConfig()` output. */
export type TransformerFactory = ModuleFactory<Transformer>;

const transformers = kindRegistry<Transformer>('transformer');

/**
 * Makes a transformer class (an elementwise map of couplings and autoregressive layers) known to
 * {@link transformerFromJSON} under its static `className`, or a factory under a name.
 */
export const registerTransformer = transformers.register;

/** Names of every registered transformer class, sorted. */
export const registeredTransformers = transformers.registered;

/** Rebuilds a transformer from `{ className, config }`. */
export const transformerFromJSON = transformers.fromJSON;

/** `{ className, config }` of a transformer, the form {@link transformerFromJSON} reads. */
export function transformerToJSON(transformer: Transformer): Serialized {
  return { className: transformer.className, config: transformer.getConfig() as Record<string, unknown> };
}
