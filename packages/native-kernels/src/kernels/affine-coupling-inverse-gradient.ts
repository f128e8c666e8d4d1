import { AFFINE_COUPLING_INVERSE_GRADIENT } from '@flows/kernels';
import { couplingShapes } from './coupling-shapes.js';
import { heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * The gradient kernel of `@flows/kernels`' `affineCouplingInverse`: ∂/∂y, ∂/∂t, ∂/∂r, ∂/∂c (the
 * formulas are in the contract) in one native pass per row, each thread summing its rows' share
 * of ∂/∂c (`native/coupling.c`), in place of about twenty wasm kernels.
 */
export const affineCouplingInverseGradient: FusedKernel<typeof AFFINE_COUPLING_INVERSE_GRADIENT> = {
  kind: 'fused',
  kernelName: AFFINE_COUPLING_INVERSE_GRADIENT,
  run({ inputs, backend, attrs }, addon) {
    const { dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs;
    const { batch, size } = couplingShapes(AFFINE_COUPLING_INVERSE_GRADIENT, [y, rawScale, rawTranslation, dx], [inverseMask, scaleFactor]);
    if (dl.shape.length !== 1 || dl.shape[0] !== batch || dl.dtype !== 'float32')
      throw new RangeError(`${AFFINE_COUPLING_INVERSE_GRADIENT}: the log-det's gradient must be float32 [${batch}], got [${dl.shape}]`);
    const [dy, dt, dr, dc] = [y, rawTranslation, rawScale, scaleFactor].map((t) => backend.makeOutput([...t.shape], 'float32'));
    if (batch * size === 0) {
      new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, dc) * 4, size).fill(0);
      return [dy, dt, dr, dc];
    }
    const offset = (t: typeof y) => heapOffset(backend, t);
    addon.couplingInverseGradient(
      heapFloats(backend),
      offset(dx),
      offset(dl),
      offset(y),
      offset(rawScale),
      offset(rawTranslation),
      offset(inverseMask),
      offset(scaleFactor),
      offset(dy),
      offset(dt),
      offset(dr),
      offset(dc),
      batch,
      size,
      attrs.tanh ? 1 : 0,
    );
    return [dy, dt, dr, dc];
  },
};
