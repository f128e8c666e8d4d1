import * as tf from '@tensorflow/tfjs-core';

/** Backends whose tensors live in main memory, read and written by JavaScript without a transfer. */
const MAIN_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);
/** Of those, the backends that keep a reference to the values a tensor is made from instead of copying them. */
const REFERENCING_BACKENDS = new Set(['cpu']);

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
  return REFERENCING_BACKENDS.has(tf.getBackend()) || !MAIN_MEMORY_BACKENDS.has(tf.getBackend());
}
