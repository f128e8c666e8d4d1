import { ACT_NORM_INVERSE } from '@flows/kernels';
import type * as tf from '@tensorflow/tfjs-core';
import { elementCount, heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/** The channels of an ActNorm kernel's y `[…, C]` with b and s `[C]` (1 to 256), and its rows; throws for other shapes. */
export function actNormShapes(name: string, y: tf.TensorInfo, parameters: tf.TensorInfo[]): { rows: number; channels: number } {
  const channels = y.shape[y.shape.length - 1] ?? 0;
  if (y.shape.length < 1 || channels < 1 || channels > 256 || [y, ...parameters].some((t) => t.dtype !== 'float32'))
    throw new RangeError(`${name}: expected float32 y [..., C] with 1-256 channels, got [${y.shape}] ${y.dtype}`);
  for (const p of parameters)
    if (p.shape.length !== 1 || p.shape[0] !== channels) throw new RangeError(`${name}: bias and log-scale must be [${channels}], got [${p.shape}]`);
  return { rows: elementCount(y) / channels, channels };
}

/**
 * `@flows/kernels`' `actNormInverse`: x = (y − b) e^{−s} per channel in one native pass split
 * between the threads (`native/act-norm.c`), in place of a subtraction and a product.
 */
export const actNormInverse: FusedKernel<typeof ACT_NORM_INVERSE> = {
  kind: 'fused',
  kernelName: ACT_NORM_INVERSE,
  run({ inputs, backend }, addon) {
    const { y, bias, logScale } = inputs;
    const { rows, channels } = actNormShapes(ACT_NORM_INVERSE, y, [bias, logScale]);
    const x = backend.makeOutput([...y.shape], 'float32');
    if (rows === 0) return x;
    const offset = (t: typeof y) => heapOffset(backend, t);
    addon.actNormInverse(heapFloats(backend), offset(y), offset(bias), offset(logScale), offset(x), rows, channels);
    return x;
  },
};
