import * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, isNode } from '@flows/core';
import { installWasmKernels } from '@flows/kernels';
import type { BackendStarter, StartedBackend } from './backend-starter.js';
import { installNativeKernels } from './native-kernels.js';
import { startWasmInPage, warnMissingWasmFiles } from './wasm-page-start.js';
import { installWasmThreadsShim, releaseWasmWorkers, withDoubledCoreCount } from './wasm-threads.js';

/**
 * TensorFlow.js's WebAssembly backend: the single-threaded SIMD build, or its threaded build (in
 * Node through the worker shim of wasm-threads.ts; in a page when it is cross-origin isolated),
 * and then, in Node, the native kernels of `@flows/native-kernels` when they are wanted. Finds the
 * thread count that started and what the native kernels did.
 */
/** The thread workers that the threaded build creates and loads when it starts (emscripten's PTHREAD_POOL_SIZE). */
const BROWSER_THREAD_POOL = 8;

/** The page's logical cores (`navigator.hardwareConcurrency`), where it says. */
function browserCores(): number | undefined {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return cores && cores > 0 ? cores : undefined;
}

export const wasmStarter: BackendStarter<'wasm'> = {
  name: 'wasm',
  runsIn: ['node', 'browser'],
  async start({ wasmThreads, wasmPaths, wasmKernels }) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const inNode = isNode();
    // The thread count and the files' location are fixed when the backend first starts. (Not
    // tf.findBackend, which starts initialising a registered backend: a second start followed.)
    const firstStart = !('wasm' in tf.engine().registry);
    if (firstStart && !inNode && wasmPaths) wasm.setWasmPaths(wasmPaths);
    // In a browser the threaded build runs when the page is cross-origin isolated; its thread count
    // is ours to set, never above the cores (startWasmInPage lifts the build's cap of half of them)
    // nor above the build's pool of 8 preloaded thread workers (XNNPACK's pool takes one fewer, the
    // caller being the first thread): a worker made later would have to load while the page waits.
    if (firstStart && !inNode && wasmThreads > 1)
      wasm.setThreadsCount(wasmKernels ? 1 : Math.min(wasmThreads, browserCores() ?? wasmThreads, BROWSER_THREAD_POOL));
    if (firstStart && wasmThreads > 1 && inNode) {
      const threads = await installWasmThreadsShim(wasmThreads);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(wasmKernels ? 1 : threads);
      if (!(await withDoubledCoreCount(() => tf.setBackend('wasm')))) throw new Error("the threaded 'wasm' backend did not start");
      releaseWasmWorkers();
    } else if (inNode) {
      if (!(await tf.setBackend('wasm'))) throw new Error("the 'wasm' backend did not start");
    } else {
      const page = await startWasmInPage(undefined, { threadsAsked: firstStart && wasmThreads > 1 });
      if (!page.started) {
        const where = page.missingFiles?.length
          ? `its .wasm files were not found: ${page.missingFiles.join(', ')}`
          : `its .wasm files were not found at ${wasmPaths ?? "the page's directory"}`;
        warnMissingWasmFiles(where);
        throw new Error(
          `the 'wasm' backend did not start: ${where} (copy the three .wasm files of @tensorflow/tfjs-backend-wasm/dist there, or pass wasmPaths)`,
        );
      }
      if (page.threadsFailed) return { threads: wasm.getThreadsCount(), threadsFailed: page.threadsFailed };
    }
    return { threads: wasm.getThreadsCount() };
  },
  // Kernels that do not load are a finding, not a failure to start: wasm runs with its own, and
  // selectBackend decides whether a requirement of them was broken.
  afterStart: async ({ nativeKernels, nativeThreads, wasmKernels, wasmThreads }) => {
    const native = nativeKernels ? await installNativeKernels(nativeThreads) : undefined;
    const found: StartedBackend = native ? { nativeKernels: native } : {};
    // The native kernels, where they compute the products, are faster still; the own ones serve everywhere else (a page, Node without the addon).
    if (!wasmKernels || (native && 'threads' in native && native.products)) return found;
    // The threads asked for are the products' (start gave TensorFlow.js's XNNPACK one: its pool's
    // threads and these, both waiting for work on two cores, took the cores from each other; a
    // dense flow's step is mostly products). They run where the heap is shared, the threaded build.
    const cores = isNode() ? (await importNodeBuiltin<typeof import('node:os')>('os', 'the thread count')).cpus().length : (browserCores() ?? 1);
    // A failure to install is a finding (the stock kernels run), as the native kernels' is.
    const status = await installWasmKernels({ threads: Math.min(wasmThreads, cores) }).catch(
      (error: Error) => ({ installed: false, reason: error.message }) as const,
    );
    if (!status.installed) return { ...found, wasmKernels: { unavailable: status.reason } };
    return { ...found, wasmKernels: { threads: status.threads }, threads: status.threads };
  },
  // Threads in Node need the worker shim of wasm-threads.ts (it wraps Blob, URL.createObjectURL and
  // worker_threads' postMessage, and reports twice the cores while the backend starts): installed only
  // when threads are asked for, and said here. The native kernels are described for every backend by describeBackend.
  describe: ({ threads, threadsFailed, wasmKernels }) =>
    (threadsFailed
      ? `, single-threaded (threads did not start: ${threadsFailed})`
      : threads && threads > 1
        ? `, ${threads} threads${isNode() ? ' (worker shim installed for Node)' : ''}`
        : '') +
    (!wasmKernels
      ? ''
      : 'unavailable' in wasmKernels
        ? `, stock kernels (own SIMD kernels unavailable: ${wasmKernels.unavailable})`
        : `, own SIMD kernels${wasmKernels.threads > 1 ? ` on ${wasmKernels.threads} threads, XNNPACK's on one` : ''}`),
};
