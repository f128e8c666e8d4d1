import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { elementCount, heapFloats, heapOffset } from './heap.js';
import type { ReplacingKernel, WasmKernelArguments } from './native-kernel.js';

/**
 * The addon's function codes (`native/elementwise.c`): vectorized single-precision polynomials
 * (Cephes' coefficients) in place of the wasm backend's scalar libm calls.
 */
const FUNCTION_CODES = { Exp: 0, Log1p: 1, Softplus: 2, Tanh: 3 } as const;

/** One elementwise function of a float32 tensor, natively; null for other types (the stock kernel runs them). */
function elementwiseKernel(kernelName: keyof typeof FUNCTION_CODES): ReplacingKernel<tf.UnaryInputs, unknown> {
  const op = FUNCTION_CODES[kernelName];
  return {
    kind: 'replaces',
    kernelName,
    run({ inputs, backend }: WasmKernelArguments<tf.UnaryInputs, unknown>, addon: NativeAddon) {
      const { x } = inputs;
      if (x?.dtype !== 'float32') return null;
      const out = backend.makeOutput([...x.shape], 'float32');
      const size = elementCount(x);
      if (size === 0) return out;
      addon.unary(heapFloats(backend), op, heapOffset(backend, x), heapOffset(backend, out), size);
      return out;
    },
  };
}

/** `tf.exp`: relative error below 2 ulp; 0 below −103.97, +∞ above 88.72, NaN kept. */
export const exp = elementwiseKernel('Exp');
/** `tf.log1p`: accurate for tiny x; −∞ at −1, NaN below. */
export const log1p = elementwiseKernel('Log1p');
/** `tf.softplus`: `max(x, 0) + log1p(e^−|x|)`, no overflow, no cancellation. */
export const softplus = elementwiseKernel('Softplus');
/** `tf.tanh`: an odd polynomial below 0.625, `1 − 2 / (e^2|x| + 1)` above. */
export const tanh = elementwiseKernel('Tanh');
