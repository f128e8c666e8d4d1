import { ACT_NORM_INVERSE_GRADIENT } from '@flows/kernels';
import { actNormShapes } from './act-norm-inverse.js';
import { heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * The gradient kernel of `@flows/kernels`' `actNormInverse`: ∂/∂y, ∂/∂b and ∂/∂s (the formulas are
 * in the contract) in one native pass, each thread summing its rows' share of the two reductions
 * (`native/act-norm.c`), in place of about eight wasm kernels.
 */
export const actNormInverseGradient: FusedKernel<typeof ACT_NORM_INVERSE_GRADIENT> = {
  kind: 'fused',
  kernelName: ACT_NORM_INVERSE_GRADIENT,
  run({ inputs, backend }, addon) {
    const { dx, y, bias, logScale } = inputs;
    const { rows, channels } = actNormShapes(ACT_NORM_INVERSE_GRADIENT, y, [bias, logScale]);
    if (dx.dtype !== 'float32' || dx.shape.join() !== y.shape.join())
      throw new RangeError(`${ACT_NORM_INVERSE_GRADIENT}: dx [${dx.shape}] must be float32 and shaped as y [${y.shape}]`);
    const dy = backend.makeOutput([...y.shape], 'float32');
    const dBias = backend.makeOutput([channels], 'float32');
    const dLogScale = backend.makeOutput([channels], 'float32');
    const offset = (t: typeof y) => heapOffset(backend, t);
    addon.actNormInverseGradient(
      heapFloats(backend),
      offset(dx),
      offset(y),
      offset(bias),
      offset(logScale),
      offset(dy),
      offset(dBias),
      offset(dLogScale),
      rows,
      channels,
    );
    return [dy, dBias, dLogScale];
  },
};
