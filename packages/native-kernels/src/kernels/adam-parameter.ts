import { ADAM_PARAMETER } from '@flows/kernels';
import { elementCount, heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `adamParameter`: `p · decay − stepSize · m_j / (√(v_j · c₂⁻¹) + ε)`, j from the
 * parameter's offset in the flat moments, as a loop split between the threads (`native/adam.c`).
 */
export const adamParameter: FusedKernel<typeof ADAM_PARAMETER> = {
  kind: 'fused',
  kernelName: ADAM_PARAMETER,
  run({ inputs, backend, attrs: step }, addon) {
    const { parameter, firstMoment, secondMoment } = inputs;
    const size = elementCount(parameter);
    const total = elementCount(firstMoment);
    if (
      elementCount(secondMoment) !== total ||
      step.offset < 0 ||
      step.offset + size > total ||
      [parameter, firstMoment, secondMoment].some((t) => t.dtype !== 'float32')
    )
      throw new RangeError(`${ADAM_PARAMETER}: a float32 parameter of ${size} values at offset ${step.offset} does not fit moments of ${total}`);
    const out = backend.makeOutput([...parameter.shape], 'float32');
    addon.adamParameter(
      heapFloats(backend),
      heapOffset(backend, parameter),
      heapOffset(backend, firstMoment),
      heapOffset(backend, secondMoment),
      heapOffset(backend, out),
      size,
      step.offset,
      step.stepSize,
      step.inverseCorrection2,
      step.epsilon,
      step.decay,
    );
    return out;
  },
};
