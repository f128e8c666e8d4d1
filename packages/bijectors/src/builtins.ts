import { ActNorm } from './act-norm.js';
import { AdditiveCoupling } from './additive-coupling.js';
import { Chain } from './chain.js';
import { MLP } from './conditioner.js';
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
import { Invert } from './invert.js';
import { MaskedAffineCoupling } from './masked-affine-coupling.js';
import { Permute } from './permute.js';
import { registerBijector, registerConditioner } from './registry.js';
import { Reverse } from './reverse.js';

/** @internal Registers this package's own classes; the registry calls it on first use. */
export function registerBuiltins(): void {
  registerBijector('Chain', Chain.fromConfig);
  registerBijector('Invert', Invert.fromConfig);
  registerBijector('MaskedAffineCoupling', MaskedAffineCoupling.fromConfig);
  registerBijector('AdditiveCoupling', AdditiveCoupling.fromConfig);
  registerBijector('ElementwiseScale', ElementwiseScale.fromConfig);
  registerBijector('Permute', Permute.fromConfig);
  registerBijector('Reverse', Reverse.fromConfig);
  registerBijector('ElementwiseAffine', ElementwiseAffine.fromConfig);
  registerBijector('InvertibleLinear', InvertibleLinear.fromConfig);
  registerBijector('LeakyReLU', LeakyReLU.fromConfig);
  registerBijector('Sigmoid', Sigmoid.fromConfig);
  registerBijector('Logit', Logit.fromConfig);
  registerBijector('Tanh', Tanh.fromConfig);
  registerBijector('Planar', Planar.fromConfig);
  registerBijector('Radial', Radial.fromConfig);
  registerBijector('ActNorm', ActNorm.fromConfig);
  registerBijector('PiecewiseLinear', PiecewiseLinear.fromConfig);
  registerConditioner('MLP', MLP.fromConfig);
}
