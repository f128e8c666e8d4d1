// Gradients and chained tensor methods for @tensorflow/tfjs-core (see the module).
import './tensorflow-registrations.js';
export { Bijector, newVariable, perRow, sumEventAxes, zeroLogDet, type SerializedBijector } from './bijector.js';
export { Chain } from './chain.js';
export { Invert } from './invert.js';
export { MaskedCoupling, type MaskedCouplingOptions, type ConditionerSpec } from './masked-coupling.js';
export { MaskedAffineCoupling, type MaskedAffineCouplingOptions } from './masked-affine-coupling.js';
export { AdditiveCoupling, type AdditiveCouplingOptions } from './additive-coupling.js';
export { ElementwiseScale, type ElementwiseScaleOptions } from './elementwise-scale.js';
export { Permute, type PermuteOptions } from './permute.js';
export { ActNorm } from './act-norm.js';
export { BatchNorm, type BatchNormOptions } from './batch-norm.js';
export { Squeeze } from './squeeze.js';
export { InvertibleConv1x1 } from './invertible-conv-1x1.js';
export { FactorOut } from './factor-out.js';
export { ConvNet, type ConvNetOptions } from './conv-net.js';
export { ElementwiseAffine, type ElementwiseAffineOptions } from './elementwise-affine.js';
export { InvertibleLinear, type InvertibleLinearOptions, invertMatrix } from './invertible-linear.js';
export { LeakyReLU } from './leaky-relu.js';
export { Sigmoid } from './sigmoid.js';
export { Logit } from './logit.js';
export { Tanh } from './tanh.js';
export { Exp } from './exp.js';
export { Softplus } from './softplus.js';
export { Power, type PowerOptions } from './power.js';
export { SinhArcsinh, type SinhArcsinhOptions } from './sinh-arcsinh.js';
export { Planar, type PlanarOptions } from './planar.js';
export { PiecewiseLinear, type PiecewiseLinearOptions } from './piecewise-linear.js';
export { Radial, type RadialOptions } from './radial.js';
export { Reverse } from './reverse.js';
export { type Transformer, AffineTransformer, type AffineTransformerOptions, GatedTransformer } from './transformer.js';
export { TransformerCoupling, type TransformerCouplingOptions } from './transformer-coupling.js';
export { MADE, type MADEOptions } from './made.js';
export { Autoregressive, type AutoregressiveOptions } from './autoregressive.js';
export { autoregressiveOptionsFromConfig } from './autoregressive-config.js';
export { MaskedAutoregressive } from './masked-autoregressive.js';
export { InverseAutoregressive } from './inverse-autoregressive.js';
export { type Conditioner, MLP, type MLPOptions, FunctionConditioner } from './conditioner.js';
export { dense, denseRelu, usePlainAutodiffDense, useTransposeFlagsInDenseGradients, applyActivation, glorotUniform, ACTIVATIONS, type Activation } from './dense.js';
export { useFusedWebgpuKernels, fusedWebgpuKernelsActive, canRunWebgpuPrograms, runFlatProgram, type FlatProgram, type ProgramUniform } from './webgpu-programs.js';
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
export { Random, toRandom, type RandomState } from './random.js';
export {
  registerBijector,
  registerConditioner,
  registerTransformer,
  transformerFromJSON,
  transformerToJSON,
  type TransformerFactory,
  registeredBijectors,
  bijectorFromJSON,
  conditionerFromJSON,
  conditionerToJSON,
  type BijectorFactory,
  type ConditionerFactory,
} from './registry.js';
export { packWeights, assignWeights, type WeightSpec } from './weights.js';
export { MissingInverseError, BijectorInputError, ConfigError } from './errors.js';
export { assertKnownOptions, optionNames, renamedOption, UnknownOptionError } from './options.js';
export { importNodeBuiltin, isNode, NodeOnlyError } from './node-builtins.js';
export { setFiniteChecks, finiteChecksEnabled, canReadSynchronously, validateEvents, validateContext, validateMask, assertFinite, assertInside } from './validation.js';
