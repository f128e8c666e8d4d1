import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, heapOffset } from './heap.js';
import type { ReplacingKernel } from './native-kernel.js';

/**
 * The wasm backend's `Slice`, natively for 4-byte tensors (float32, int32) of rank 1-8 whose slice
 * is not one contiguous block (`native/slice.c`): the backend copies such a slice one run of its
 * last axis at a time from JavaScript. Null (the backend's own kernel) for a contiguous slice, which
 * it copies at once, and for other types.
 */
export const slice: ReplacingKernel<tf.SliceInputs, tf.SliceAttrs> = {
  kind: 'replaces',
  kernelName: 'Slice',
  run({ inputs, attrs, backend }, addon) {
    const { x } = inputs as unknown as { x: tf.TensorInfo };
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length < 1 || x.shape.length > 8) return null;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return null;
    const out = backend.makeOutput([...size], x.dtype);
    if (size.some((d) => d === 0)) return out;
    const plan = Float64Array.from([x.shape.length, ...x.shape, ...begin, ...size]);
    addon.slice(heapFloats(backend), heapOffset(backend, x), heapOffset(backend, out), plan);
    return out;
  },
};
