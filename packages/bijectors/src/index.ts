import { registerBuiltinBijectors } from './register-builtins.js';

// The bijector contract lives in @flows/core; re-exported so that a plugin needs only this package.
export {
  Bijector,
  perRow,
  sumEventAxes,
  zeroLogDet,
  type SerializedBijector,
  registerBijector,
  registeredBijectors,
  bijectorFromJSON,
  type BijectorFactory,
  MissingInverseError,
  BijectorInputError,
} from '@flows/core';
export { Chain, type ChainConfig } from './chain.js';
export { Invert, type InvertConfig } from './invert.js';
export { MaskedCoupling, type MaskedCouplingOptions, type ConditionerSpec } from './masked-coupling.js';
export { MaskedAffineCoupling, type MaskedAffineCouplingOptions, type MaskedAffineCouplingConfig } from './masked-affine-coupling.js';
export { AdditiveCoupling, type AdditiveCouplingOptions, type AdditiveCouplingConfig } from './additive-coupling.js';
export { IntegerAdditiveCoupling, type IntegerAdditiveCouplingOptions, type IntegerAdditiveCouplingConfig } from './integer-additive-coupling.js';
export { ElementwiseScale, type ElementwiseScaleOptions, type ElementwiseScaleConfig } from './elementwise-scale.js';
export { Permute, type PermuteOptions, type PermuteConfig } from './permute.js';
export { ActNorm, type ActNormConfig } from './act-norm.js';
export { BatchNorm, type BatchNormOptions, type BatchNormConfig } from './batch-norm.js';
export { Squeeze, type SqueezeConfig } from './squeeze.js';
export { InvertibleConv1x1, type InvertibleConv1x1Config } from './invertible-conv-1x1.js';
export { FactorOut, type FactorOutConfig } from './factor-out.js';
export { Reshape, type ReshapeConfig } from './reshape.js';
export { ElementwiseAffine, type ElementwiseAffineOptions, type ElementwiseAffineConfig } from './elementwise-affine.js';
export { InvertibleLinear, type InvertibleLinearOptions, invertMatrix, type InvertibleLinearConfig } from './invertible-linear.js';
export { LeakyReLU, type LeakyReLUConfig } from './leaky-relu.js';
export { Sigmoid } from './sigmoid.js';
export { Logit, type LogitConfig } from './logit.js';
export { Tanh } from './tanh.js';
export { Exp } from './exp.js';
export { Softplus } from './softplus.js';
export { Power, type PowerOptions, type PowerConfig } from './power.js';
export { SinhArcsinh, type SinhArcsinhOptions, type SinhArcsinhConfig } from './sinh-arcsinh.js';
export { Planar, type PlanarOptions, type PlanarConfig } from './planar.js';
export { PiecewiseLinear, type PiecewiseLinearOptions, type PiecewiseLinearConfig } from './piecewise-linear.js';
export { Radial, type RadialOptions, type RadialConfig } from './radial.js';
export { Reverse, type ReverseConfig } from './reverse.js';
export { type Transformer, AffineTransformer, type AffineTransformerOptions, GatedTransformer, type AffineTransformerConfig } from './transformer.js';
export { AdditiveTransformer } from './additive-transformer.js';
export {
  LogisticMixtureTransformer,
  type LogisticMixtureTransformerOptions,
  type LogisticMixtureTransformerConfig,
} from './logistic-mixture-transformer.js';
export { TransformerCoupling, type TransformerCouplingOptions, type TransformerCouplingConfig } from './transformer-coupling.js';
export { Autoregressive, type AutoregressiveOptions, type AutoregressiveConfig } from './autoregressive.js';
export { autoregressiveOptionsFromConfig } from './autoregressive-config.js';
export { MaskedAutoregressive } from './masked-autoregressive.js';
export { InverseAutoregressive } from './inverse-autoregressive.js';
export {
  type Mask,
  halfMask,
  alternatingMask,
  randomMask,
  checkerboardMask,
  inverseCheckerboardMask,
  imageCheckerboardMask,
  channelMask,
  invertMask,
} from './masks.js';
export { registerTransformer, registeredTransformers, transformerFromJSON, transformerToJSON, type TransformerFactory } from './transformer-registry.js';
export { registerBuiltinBijectors, BUILTIN_BIJECTORS, BUILTIN_TRANSFORMERS } from './register-builtins.js';

// Saved models name their bijectors; importing the package makes its own loadable.
registerBuiltinBijectors();
