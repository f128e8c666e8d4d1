import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateAttrs, type AdamUpdateInputs } from '../kernel-contract.js';
import { runAdamUpdate } from './adam-update-kernel.js';
import { HeapThreads, type OwnWasmKernels, type SimdKernelExports, type StartHelper } from './heap-threads.js';
import { SIMD_KERNELS_SCRATCH_BYTES, SIMD_KERNELS_SHARED_WASM, SIMD_KERNELS_WASM } from './simd-kernels-wasm.js';
import { runProduct } from './simd-products.js';
import { heapMemory, type WasmBackendHeap } from './wasm-heap.js';

/** Whether the own kernels are in place, on how many threads; or why not. */
export type WasmKernelsStatus = { installed: true; threads: number } | { installed: false; reason: string };

/** The installed kernels, with the backend whose heap they work on (a reset engine makes a new one). */
let installed: (OwnWasmKernels & { backend: WasmBackendHeap; ownAdam: boolean }) | null = null;
/** An installation under way: a second call waits for it instead of starting a second set of threads. */
let installing: Promise<WasmKernelsStatus> | null = null;
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
 * kernels of `@flows/native-kernels` compute the products); a later call returns the first one's
 * status, or installs them again on a new wasm backend (after `tf.engine().reset()`; until then
 * the products of a new backend are the stock ones'). With threads, give TensorFlow.js's own pool one
 * thread (`setThreadsCount(1)` before the backend starts, as `selectBackend` does): its threads and
 * these, waiting for work on the same cores, took the cores from each other.
 */
export async function installWasmKernels(options: { threads?: number; startHelper?: StartHelper } = {}): Promise<WasmKernelsStatus> {
  if (installing) await installing.catch(() => undefined);
  const backend = tf.findBackend('wasm') as unknown as WasmBackendHeap | null;
  if (installed && installed.backend === backend) return status();
  if (installed) uninstallWasmKernels();
  installing = install(backend, options);
  try {
    return await installing;
  } finally {
    installing = null;
  }
}

async function install(backend: WasmBackendHeap | null, options: { threads?: number; startHelper?: StartHelper }): Promise<WasmKernelsStatus> {
  if (!backend) return { installed: false, reason: "the 'wasm' backend is not started" };
  const memory = heapMemory(backend);
  if (!memory) return { installed: false, reason: "the wasm backend's memory was not found" };
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = decode(shared ? SIMD_KERNELS_SHARED_WASM : SIMD_KERNELS_WASM);
  if (!WebAssembly.validate(bytes)) return { installed: false, reason: 'this engine has no WebAssembly SIMD' };
  for (const name of PRODUCT_KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) return { installed: false, reason: `the wasm backend has no ${name} kernel to replace` };
  }
  const module = await WebAssembly.compile(bytes);
  const exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as SimdKernelExports;
  const helpers = shared ? Math.max(0, Math.floor(options.threads ?? 1) - 1) : 0;
  // Each thread's scratch, from the backend's own allocator (freed by uninstallWasmKernels).
  const scratch = backend.wasm._malloc((helpers + 1) * SIMD_KERNELS_SCRATCH_BYTES);
  let threads =
    helpers > 0 ? await HeapThreads.start(exports, module, memory, helpers, { at: scratch, bytes: SIMD_KERNELS_SCRATCH_BYTES }, options.startHelper) : null;
  if (threads && !(await threads.whenReady())) {
    threads.stop();
    threads = null;
  }
  // The native kernels of @flows/native-kernels register their own Adam update where they run.
  const ownAdam = !tf.getKernel(ADAM_UPDATE, 'wasm');
  const kernels = { exports, threads, scratch, backend, ownAdam };
  installed = kernels;
  for (const name of PRODUCT_KERNELS) {
    // The stock kernel, kept from the first installation (a later one finds the wrapper registered).
    if (!originals.has(name)) originals.set(name, tf.getKernel(name, 'wasm')!);
    const original = originals.get(name)!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) =>
        // Another wasm backend than the one these work on (after an engine reset): the stock kernel.
        (args.backend === (kernels.backend as unknown)
          ? runProduct(args.inputs as Partial<tf._FusedMatMulInputs>, (args.attrs ?? {}) as Partial<tf._FusedMatMulAttrs>, kernels.backend, kernels)
          : null) ?? original.kernelFunc(args),
    });
  }
  if (ownAdam)
    tf.registerKernel({
      kernelName: ADAM_UPDATE,
      backendName: 'wasm',
      kernelFunc: (args) => {
        if (args.backend !== (kernels.backend as unknown))
          throw new Error(`${ADAM_UPDATE}: the wasm backend was started again; call selectBackend (or installWasmKernels) once more`);
        return runAdamUpdate(args.inputs as unknown as AdamUpdateInputs<tf.TensorInfo>, args.attrs as unknown as AdamUpdateAttrs, kernels.backend, kernels);
      },
    });
  return status();
}

/**
 * Puts the backend's own product kernels back, removes the own Adam update (not the native
 * kernels'), stops the threads and frees their scratch (for tests and benchmarks that compare the
 * two, and before a new backend's installation). Safe to call when nothing is installed.
 */
export function uninstallWasmKernels(): void {
  if (!installed) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  if (installed.ownAdam) tf.unregisterKernel(ADAM_UPDATE, 'wasm');
  installed.threads?.stop();
  (installed.backend.wasm as { _free?: (address: number) => void })._free?.(installed.scratch);
  installed = null;
}
