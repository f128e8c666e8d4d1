import type * as tf from '@tensorflow/tfjs-core';

/** What the native kernels use of the wasm backend (TensorFlow.js types its kernels' backend as `{}`). */
export interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  wasm: { HEAPU8: Uint8Array };
  /** How many tensors reference the data (TensorFlow.js's own count). */
  refCount(dataId: object): number;
  incRef(dataId: object): void;
}

/**
 * A tensor's place in the wasm heap, in floats. Read after `makeOutput`: its allocation may grow
 * (and move) the heap, so an offset read before would point into the old one.
 */
export const heapOffset = (backend: WasmBackendInternals, t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset / 4;

/** The heap as floats, for the addon: taken after the outputs are made, for the same reason. */
export const heapFloats = (backend: WasmBackendInternals): Float32Array => new Float32Array(backend.wasm.HEAPU8.buffer);

/** How many values a tensor holds. */
export const elementCount = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);
