import { isRegistered, registerBijector } from '@flows/core';
import { ActNorm } from './act-norm.js';
import { AdditiveCoupling } from './additive-coupling.js';
import { IntegerAdditiveCoupling } from './integer-additive-coupling.js';
import { Chain } from './chain.js';
import { ElementwiseAffine } from './elementwise-affine.js';
import { ElementwiseScale } from './elementwise-scale.js';
import { InvertibleLinear } from './invertible-linear.js';
import { LeakyReLU } from './leaky-relu.js';
import { Logit } from './logit.js';
import { PiecewiseLinear } from './piecewise-linear.js';
import { Planar } from './planar.js';
import { Radial } from './radial.js';
import { Sigmoid } from './sigmoid.js';
import { Tanh } from './tanh.js';
import { Exp } from './exp.js';
import { Softplus } from './softplus.js';
import { Power } from './power.js';
import { SinhArcsinh } from './sinh-arcsinh.js';
import { Invert } from './invert.js';
import { MaskedAffineCoupling } from './masked-affine-coupling.js';
import { Permute } from './permute.js';
import { MaskedAutoregressive } from './masked-autoregressive.js';
import { InverseAutoregressive } from './inverse-autoregressive.js';
import { TransformerCoupling } from './transformer-coupling.js';
import { Squeeze } from './squeeze.js';
import { InvertibleConv1x1 } from './invertible-conv-1x1.js';
import { BatchNorm } from './batch-norm.js';
import { FactorOut } from './factor-out.js';
import { Reshape } from './reshape.js';
import { AffineTransformer, GatedTransformer } from './transformer.js';
import { AdditiveTransformer } from './additive-transformer.js';
import { LogisticMixtureTransformer } from './logistic-mixture-transformer.js';
import { Reverse } from './reverse.js';

import { registerTransformer } from './transformer-registry.js';

/** Every bijector class of this package. */
export const BUILTIN_BIJECTORS = [
  Chain,
  Invert,
  MaskedAffineCoupling,
  AdditiveCoupling,
  IntegerAdditiveCoupling,
  ElementwiseScale,
  Permute,
  Reverse,
  ElementwiseAffine,
  InvertibleLinear,
  LeakyReLU,
  Sigmoid,
  Logit,
  Tanh,
  Exp,
  Softplus,
  Power,
  SinhArcsinh,
  Planar,
  Radial,
  ActNorm,
  PiecewiseLinear,
  MaskedAutoregressive,
  InverseAutoregressive,
  TransformerCoupling,
  Squeeze,
  InvertibleConv1x1,
  BatchNorm,
  FactorOut,
  Reshape,
] as const;

/** Every transformer class of this package. */
export const BUILTIN_TRANSFORMERS = [AffineTransformer, GatedTransformer, AdditiveTransformer, LogisticMixtureTransformer] as const;

/**
 * Registers this package's bijectors and transformers with the registry of `@flows/core`, so that
 * saved models naming them load. The package's entry point calls it when imported; calling it
 * again does nothing.
 */
export function registerBuiltinBijectors(): void {
  for (const bijectorClass of BUILTIN_BIJECTORS) {
    if (!isRegistered('bijector', bijectorClass.className)) registerBijector(bijectorClass);
  }
  for (const transformerClass of BUILTIN_TRANSFORMERS) {
    if (!isRegistered('transformer', transformerClass.className)) registerTransformer(transformerClass);
  }
}
