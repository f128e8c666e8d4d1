import * as tf from '@tensorflow/tfjs-core';

/** Backends whose tensors live in main memory, read and written by JavaScript without a transfer. */
const MAIN_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);
/** Backends known to copy the values a tensor is made from at once (wasm, into its heap); any other may keep a reference. */
const COPYING_BACKENDS = new Set(['wasm']);

/**
 * Whether the active backend keeps its tensors in main memory (`cpu`, `wasm`), where a loop over
 * the values in JavaScript or WebAssembly can beat a chain of tensor kernels; GPU backends would pay
 * a transfer each way. Model code asks this, not the backend's name.
 */
export function tensorsInMainMemory(): boolean {
  return MAIN_MEMORY_BACKENDS.has(tf.getBackend());
}

/**
 * Whether `tf.tensor(values)` on the active backend may keep a reference to `values` (the `cpu`
 * backend does; `wasm` copies them into its heap at once): a caller that reuses the buffer must then
 * pass a copy.
 */
export function tensorsReferenceTheirValues(): boolean {
  return !COPYING_BACKENDS.has(tf.getBackend());
}
