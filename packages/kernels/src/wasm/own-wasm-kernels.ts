import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateAttrs, type AdamUpdateInputs } from '../kernel-contract.js';
import { runAdamUpdate } from './adam-update-kernel.js';
import { HeapThreads, type OwnWasmKernels, type SimdKernelExports, type StartHelper } from './heap-threads.js';
import { SIMD_KERNELS_SCRATCH_BYTES, SIMD_KERNELS_SHARED_WASM, SIMD_KERNELS_WASM } from './simd-kernels-wasm.js';
import { runProduct } from './simd-products.js';
import { heapMemory, type WasmBackendHeap } from './wasm-heap.js';

/** Whether the own kernels are in place, on how many threads; or why not. */
export type WasmKernelsStatus = { installed: true; threads: number } | { installed: false; reason: string };

let installed: OwnWasmKernels | null = null;
/** The backend's kernels that the own ones replaced (the products), to fall back on and to restore. */
const originals = new Map<string, tf.KernelConfig>();
const PRODUCT_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const status = (): WasmKernelsStatus => ({ installed: true, threads: (installed?.threads?.helpers ?? 0) + 1 });

/**
 * The wasm backend's own kernels, in WebAssembly with SIMD (simd-kernels.wat) on the backend's own
 * heap: its matrix products (`BatchMatMul`, `_FusedMatMul` with no or ReLU activation: see
 * `runProduct`) and the whole Adam update ({@link ADAM_UPDATE}: see `runAdamUpdate`), on `threads`
 * threads where the heap is shared (TensorFlow.js's threaded build: in a cross-origin isolated
 * page, or in Node through the threads shim of `@flows/backends`), else on one. Products they do not
 * handle fall back to the backend's own kernels.
 *
 * Call once the wasm backend is active (`selectBackend` of `@flows/backends` does, unless the native
 * kernels of `@flows/native-kernels` compute the products); a second call returns the first one's
 * status. With threads, give TensorFlow.js's own pool one thread (`setThreadsCount(1)` before the
 * backend starts, as `selectBackend` does): its threads and these, waiting for work on the same
 * cores, took the cores from each other.
 */
export async function installWasmKernels(options: { threads?: number; startHelper?: StartHelper } = {}): Promise<WasmKernelsStatus> {
  if (installed) return status();
  const backend = tf.findBackend('wasm') as unknown as WasmBackendHeap | null;
  if (!backend) return { installed: false, reason: "the 'wasm' backend is not started" };
  const memory = heapMemory(backend);
  if (!memory) return { installed: false, reason: "the wasm backend's memory was not found" };
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = decode(shared ? SIMD_KERNELS_SHARED_WASM : SIMD_KERNELS_WASM);
  if (!WebAssembly.validate(bytes)) return { installed: false, reason: 'this engine has no WebAssembly SIMD' };
  for (const name of PRODUCT_KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) return { installed: false, reason: `the wasm backend has no ${name} kernel to replace` };
    originals.set(name, original);
  }
  const module = await WebAssembly.compile(bytes);
  const exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as SimdKernelExports;
  const helpers = shared ? Math.max(0, Math.floor(options.threads ?? 1) - 1) : 0;
  // Each thread's scratch, from the backend's own allocator (kept for the life of the backend).
  const scratch = backend.wasm._malloc((helpers + 1) * SIMD_KERNELS_SCRATCH_BYTES);
  let threads =
    helpers > 0 ? await HeapThreads.start(exports, module, memory, helpers, { at: scratch, bytes: SIMD_KERNELS_SCRATCH_BYTES }, options.startHelper) : null;
  if (threads && !(await threads.whenReady())) {
    threads.stop();
    threads = null;
  }
  const kernels: OwnWasmKernels = { exports, threads, scratch };
  installed = kernels;
  for (const name of PRODUCT_KERNELS) {
    const original = originals.get(name)!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) =>
        runProduct(
          args.inputs as Partial<tf._FusedMatMulInputs>,
          (args.attrs ?? {}) as Partial<tf._FusedMatMulAttrs>,
          args.backend as unknown as WasmBackendHeap,
          kernels,
        ) ?? original.kernelFunc(args),
    });
  }
  // The native kernels of @flows/native-kernels register their own Adam update where they run.
  if (!tf.getKernel(ADAM_UPDATE, 'wasm'))
    tf.registerKernel({
      kernelName: ADAM_UPDATE,
      backendName: 'wasm',
      kernelFunc: (args) =>
        runAdamUpdate(
          args.inputs as unknown as AdamUpdateInputs<tf.TensorInfo>,
          args.attrs as unknown as AdamUpdateAttrs,
          args.backend as unknown as WasmBackendHeap,
          kernels,
        ),
    });
  return status();
}

/**
 * Puts the backend's own product kernels back, removes the own Adam update and stops the threads
 * (for tests and benchmarks that compare the two). Safe to call when nothing is installed.
 */
export function uninstallWasmKernels(): void {
  if (!installed) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
  tf.unregisterKernel(ADAM_UPDATE, 'wasm');
  installed.threads?.stop();
  installed = null;
}
