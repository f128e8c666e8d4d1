import { isRegistered } from '@flows/core';
import { MLP } from './conditioner.js';
import { registerConditioner } from './conditioner-registry.js';
import { ConvNet } from './conv-net.js';
import { DeepSets } from './deep-sets.js';
import { GatedResidualConvNet } from './gated-residual-conv-net.js';
import { ImageEmbedding } from './image-embedding.js';
import { MADE } from './made.js';

/**
 * Registers this package's conditioners (MLP, MADE, ConvNet, GatedResidualConvNet, and the context embeddings DeepSets and ImageEmbedding) with the registry of `@flows/core`.
 * The package's entry point calls it when imported; calling it again does nothing.
 */
export function registerBuiltinConditioners(): void {
  for (const conditionerClass of [MLP, MADE, ConvNet, GatedResidualConvNet, DeepSets, ImageEmbedding]) {
    if (!isRegistered('conditioner', conditionerClass.className)) registerConditioner(conditionerClass);
  }
}
