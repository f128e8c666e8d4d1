import { ADAM_MOMENT } from '@flows/kernels';
import { elementCount, heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `adamMoment`: `β m + (1 − β) (s g)` or `β v + (1 − β) (s g)²`, s the clip factor
 * `min(1, clipNorm / √S)` (1 when clipNorm is 0), as a loop split between the threads (`native/adam.c`).
 */
export const adamMoment: FusedKernel<typeof ADAM_MOMENT> = {
  kind: 'fused',
  kernelName: ADAM_MOMENT,
  run({ inputs, backend, attrs }, addon) {
    const { moment, gradient, sumOfSquares } = inputs;
    const { which, beta, clipNorm } = attrs;
    const size = elementCount(moment);
    if (elementCount(gradient) !== size || [moment, gradient, sumOfSquares].some((t) => t.dtype !== 'float32'))
      throw new RangeError(`${ADAM_MOMENT}: expected float32 moment and gradient of one size, got [${moment.shape}] and [${gradient.shape}]`);
    const out = backend.makeOutput([...moment.shape], 'float32');
    const heap = heapFloats(backend);
    // The clip factor in float32, as the reference composition computes it.
    const scale =
      clipNorm > 0 ? Math.fround(Math.min(1, Math.fround(clipNorm / Math.max(Math.fround(Math.sqrt(heap[heapOffset(backend, sumOfSquares)])), 1e-12)))) : 1;
    addon.adamMoment(heap, heapOffset(backend, moment), heapOffset(backend, gradient), heapOffset(backend, out), size, which === 'second' ? 1 : 0, beta, scale);
    return out;
  },
};
