import { AdditiveCoupling } from './additive-coupling.js';
import { Chain } from './chain.js';
import { MLP } from './conditioner.js';
import { ElementwiseScale } from './elementwise-scale.js';
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
  registerConditioner('MLP', MLP.fromConfig);
}
