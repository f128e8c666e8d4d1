export { clenshawCurtis } from './clenshaw-curtis.js';
export { MonotoneTransformer, type MonotoneOptions, type MonotoneConfig, type InverseStats } from './monotone-transformer.js';
export { UMNNTransformer, type UMNNTransformerOptions, type UMNNTransformerConfig } from './umnn-transformer.js';
export { SumOfSquaresTransformer, type SumOfSquaresTransformerOptions, type SumOfSquaresTransformerConfig } from './sum-of-squares-transformer.js';
export { BernsteinTransformer, type BernsteinTransformerOptions, type BernsteinTransformerConfig } from './bernstein-transformer.js';
export { DeepSigmoidalTransformer, type DeepSigmoidalTransformerOptions, type DeepSigmoidalTransformerConfig } from './deep-sigmoidal-transformer.js';
export { InvertedTransformer, type InvertedTransformerConfig } from './inverted-transformer.js';
export { registerMonotoneTransformers, MONOTONE_TRANSFORMERS } from './register.js';
