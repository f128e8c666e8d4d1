import { ADAM_UPDATE } from '@flows/kernels';
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
    const total = elementCount(firstMoment);
    const fail = (what: string): never => {
      throw new RangeError(`${ADAM_UPDATE}: ${what}`);
    };
    if (!Number.isInteger(attrs.count) || attrs.count < 0) fail(`a count of variables, got ${attrs.count}`);
    if (firstMoment.dtype !== 'float32' || secondMoment.dtype !== 'float32' || elementCount(secondMoment) !== total)
      fail(`float32 moments of one length, got [${firstMoment.shape}] and [${secondMoment.shape}]`);
    const variables = Array.from({ length: attrs.count }, (_, i) => {
      const parameter = inputs[`parameter${i}`];
      const gradient = inputs[`gradient${i}`];
      if (!parameter || !gradient || parameter.dtype !== 'float32' || gradient.dtype !== 'float32' || elementCount(gradient) !== elementCount(parameter))
        fail(
          `parameter ${i} and its gradient must be float32 of one size, got ${parameter ? `[${parameter.shape}]` : 'none'} and ${gradient ? `[${gradient.shape}]` : 'none'}`,
        );
      return { parameter, gradient };
    });
    const sizes = variables.reduce((sum, { parameter }) => sum + elementCount(parameter), 0);
    if (sizes !== total) fail(`the variables hold ${sizes} values but the moments ${total}`);
    // In place where nothing but the input's own tensor references each moment's and parameter's
    // memory (an optimizer's moments, a variable after its step's tape is gone): the outputs are the
    // inputs' memory, one reference more, as the sharing Identity returns it. Anywhere else (a clone
    // of a variable kept by its caller, one tensor passed twice) fresh outputs.
    const written = [firstMoment, secondMoment, ...variables.map(({ parameter }) => parameter)];
    const ids = new Set(written.map((t) => t.dataId));
    const inPlace =
      ids.size === written.length && written.every((t) => backend.refCount(t.dataId) === 1) && variables.every(({ gradient }) => !ids.has(gradient.dataId));
    const output = (t: typeof firstMoment) => {
      if (!inPlace) return backend.makeOutput([...t.shape], 'float32');
      backend.incRef(t.dataId);
      return { dataId: t.dataId, shape: [...t.shape], dtype: t.dtype };
    };
    const m = output(firstMoment);
    const v = output(secondMoment);
    const updated = variables.map(({ parameter }) => output(parameter));
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
