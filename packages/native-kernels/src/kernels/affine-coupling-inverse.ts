import { AFFINE_COUPLING_INVERSE } from '@flows/kernels';
import { couplingShapes } from './coupling-shapes.js';
import { heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `affineCouplingInverse`: `x = (y − t ⊙ m̄) ⊙ e^{−s}` and `−Σ s` per row,
 * `s = c ⊙ a(r) ⊙ m̄`, in one native pass per row (rows split between the threads;
 * `native/coupling.c`) in place of about ten wasm kernels.
 */
export const affineCouplingInverse: FusedKernel<typeof AFFINE_COUPLING_INVERSE> = {
  kind: 'fused',
  kernelName: AFFINE_COUPLING_INVERSE,
  run({ inputs, backend, attrs }, addon) {
    const { y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs;
    const { batch, size } = couplingShapes(AFFINE_COUPLING_INVERSE, [y, rawScale, rawTranslation], [inverseMask, scaleFactor]);
    const x = backend.makeOutput([...y.shape], 'float32');
    const logDet = backend.makeOutput([batch], 'float32');
    if (batch * size === 0) return [x, logDet];
    const offset = (t: typeof y) => heapOffset(backend, t);
    addon.couplingInverse(
      heapFloats(backend),
      offset(y),
      offset(rawScale),
      offset(rawTranslation),
      offset(inverseMask),
      offset(scaleFactor),
      offset(x),
      offset(logDet),
      batch,
      size,
      attrs.tanh ? 1 : 0,
    );
    return [x, logDet];
  },
};
