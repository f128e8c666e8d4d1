import type * as tf from '@tensorflow/tfjs-core';

/** What the own wasm kernels use of the wasm backend (TensorFlow.js types its kernels' backend as `{}`). */
export interface WasmBackendHeap {
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  /** How many tensors reference the data (TensorFlow.js's own count). */
  refCount(dataId: object): number;
  incRef(dataId: object): void;
  /** The emscripten module: the threaded build keeps its (shared) memory as `wasmMemory`, the single-threaded one exports it from `asm`. */
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory }; _malloc(bytes: number): number };
}

/** A tensor's byte address on the heap (memory grows in place: addresses stay valid when it does). */
export const heapAddress = (backend: WasmBackendHeap, t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;

/** How many values a tensor holds. */
export const elementCount = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);

/** The backend's memory: the threaded build's shared `wasmMemory`, else the single-threaded build's exported memory. */
export const heapMemory = (backend: WasmBackendHeap): WebAssembly.Memory | undefined => backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
