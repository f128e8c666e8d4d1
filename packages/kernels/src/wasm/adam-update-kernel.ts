import type * as tf from '@tensorflow/tfjs-core';
import { planAdamUpdate } from '../adam-update-plan.js';
import type { ADAM_UPDATE, AdamUpdateAttrs, AdamUpdateInputs } from '../kernel-contract.js';
import type { OwnWasmKernels } from './heap-threads.js';
import { elementCount, heapAddress, type WasmBackendHeap } from './wasm-heap.js';

/** Variables smaller than this are updated on one thread: waking the helpers would cost more. */
const THREADED_VALUES = 1 << 15;

/**
 * {@link ADAM_UPDATE} on the wasm backend: both moments and every variable's new values by
 * simd-kernels.wat's `adam`, each variable's elements split between the own kernels' threads, each
 * gradient read where it lies and each moment and parameter read and written once, in place where
 * nothing else references it (the clip norm, when set, costs one more read of the gradients, by
 * `sumsq`). Replaces, on wasm, the optimizer's host loop, which copied every gradient and parameter
 * out of the heap and every new value back in (about 30 ms a step of the 5.3 M values of the
 * benchmark model, all on one thread). The formulas are `adamMoment`'s and `adamParameter`'s, in
 * float32 in the same order, so the values are theirs.
 */
export function runAdamUpdate(
  inputs: AdamUpdateInputs<tf.TensorInfo>,
  attrs: AdamUpdateAttrs,
  backend: WasmBackendHeap,
  kernels: OwnWasmKernels,
): tf.TensorInfo[] {
  const { firstMoment, secondMoment } = inputs;
  const { variables, m, v, updated } = planAdamUpdate(inputs, attrs, backend);
  // Addresses after every output is made: making one may grow the heap (addresses stay valid).
  const at = (t: tf.TensorInfo) => heapAddress(backend, t);
  let scale = 1;
  if (attrs.clipNorm > 0) {
    const squares = variables.reduce((sum, { gradient }) => sum + kernels.exports.sumsq(at(gradient), 0, elementCount(gradient)), 0);
    scale = Math.min(1, attrs.clipNorm / Math.max(Math.sqrt(squares), 1e-12));
  }
  const numbers = [attrs.beta1, 1 - attrs.beta1, attrs.beta2, 1 - attrs.beta2, scale, attrs.stepSize, attrs.inverseCorrection2, attrs.epsilon, attrs.decay];
  let offset = 0;
  variables.forEach(({ parameter, gradient }, i) => {
    const size = elementCount(parameter);
    const addresses = [
      at(parameter),
      at(gradient),
      at(firstMoment) + 4 * offset,
      at(secondMoment) + 4 * offset,
      at(updated[i]),
      at(m) + 4 * offset,
      at(v) + 4 * offset,
    ];
    if (kernels.threads && size >= THREADED_VALUES) kernels.threads.adam(addresses, numbers, 0, size);
    else kernels.exports.adam(...addresses, 0, size, ...numbers);
    offset += size;
  });
  return [m, v, ...updated];
}
