import { ADAM_UPDATE, planAdamUpdate } from '@flows/kernels';
import { elementCount, heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `adamUpdate`: both moments and every variable's new values in one pass split
 * between the threads (`native/adam.c`), each gradient read where it lies: no flat copy of the
 * gradients, and each moment and parameter read and written once, in place where nothing else
 * references it (the clip norm, when set, costs one more read of the gradients for their sum of squares).
 */
export const adamUpdate: FusedKernel<typeof ADAM_UPDATE> = {
  kind: 'fused',
  kernelName: ADAM_UPDATE,
  run({ inputs, backend, attrs }, addon) {
    const { firstMoment, secondMoment } = inputs;
    // The checks and the in-place outputs, as @flows/kernels' own wasm kernel makes them.
    const { total, variables, m, v, updated } = planAdamUpdate(inputs, attrs, backend);
    const offset = (t: typeof m) => heapOffset(backend, t);
    const plan = [
      attrs.count,
      total,
      attrs.beta1,
      attrs.beta2,
      attrs.clipNorm,
      attrs.stepSize,
      attrs.inverseCorrection2,
      attrs.epsilon,
      attrs.decay,
      offset(firstMoment),
      offset(secondMoment),
      offset(m),
      offset(v),
      ...variables.flatMap(({ parameter, gradient }, i) => [elementCount(parameter), offset(parameter), offset(gradient), offset(updated[i])]),
    ];
    addon.adamUpdate(heapFloats(backend), Float64Array.from(plan));
    return [m, v, ...updated];
  },
};
