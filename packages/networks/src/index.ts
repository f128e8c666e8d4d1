import { registerBuiltinConditioners } from './register-builtins.js';

export {
  type Conditioner,
  type ConditionerBase,
  type VectorConditioner,
  type ImageConditioner,
  MLP,
  type MLPOptions,
  type MLPConfig,
  FunctionConditioner,
} from './conditioner.js';
export { MADE, type MADEOptions, type MADEConfig } from './made.js';
export { ConvNet, type ConvNetOptions, type ConvNetConfig } from './conv-net.js';
export { GatedResidualConvNet, type GatedResidualConvNetOptions, type GatedResidualConvNetConfig } from './gated-residual-conv-net.js';
export { type ContextEmbedding, embeddingContextShape } from './context-embedding.js';
export { DeepSets, type DeepSetsOptions, type DeepSetsConfig, type SetPooling } from './deep-sets.js';
export { ImageEmbedding, type ImageEmbeddingOptions, type ImageEmbeddingConfig } from './image-embedding.js';
export { dense, denseRelu, applyActivation, glorotUniform, ACTIVATIONS, type Activation } from './dense.js';
export { registerConditioner, registeredConditioners, conditionerFromJSON, conditionerToJSON, type ConditionerFactory } from './conditioner-registry.js';
export { registerBuiltinConditioners } from './register-builtins.js';

// Saved models name their conditioners; importing the package makes its own loadable.
registerBuiltinConditioners();
