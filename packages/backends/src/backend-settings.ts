import { assertKnownOptions, importNodeBuiltin, isNode, optionNames } from '@flows/core';
import type { StarterSettings } from './backend-starter.js';
import { BACKEND_ORDER, type BackendName } from './backend-table.js';

/** Environment variable that overrides the automatic choice (same values as the option). */
export const BACKEND_ENV_VARIABLE = 'FLOWS_BACKEND';

/**
 * Multiply-adds per step (a training step's forward pass) from which the threads pay, for callers
 * that give {@link BackendOptions.workPerStep}. Measured on a 2-core machine (bench/results.md):
 * the toy Real NVP (8 layers of 64 hidden, batch 1000: about 7e7) trained 0.95 times as fast with
 * 2 wasm threads on an idle machine and 0.26 times with another process running; MNIST's Real NVP
 * (6 layers of 256, batch 256: about 1.4e9) 1.15 times idle and 0.88 busy, at batch 1024 1.42 and
 * 0.97. Below the threshold threads lose, badly under load; above it they win idle and lose little when busy.
 */
export const WASM_THREADS_WORK_THRESHOLD = 3e8;

export interface BackendOptions {
  /** A backend name, or `'auto'` (the default) for the first available in `BACKEND_ORDER`. */
  backend?: BackendName | 'auto';
  /** Environment to read {@link BACKEND_ENV_VARIABLE} from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Threads for the `wasm` backend (opt-in; default 1, or `FLOWS_WASM_THREADS`). In Node: never more
   * than the cores, through a worker shim. In a browser: used when the page is cross-origin
   * isolated (COOP and COEP headers), which the threaded SIMD build needs, never more than the cores
   * nor 8 (the build's pool); otherwise one thread. Left at 1 in a page, the threaded build keeps
   * TensorFlow.js's own count, half the cores.
   */
  wasmThreads?: number;
  /**
   * Route the `wasm` backend's matrix products to OpenBLAS through the optional
   * `@flows/native-kernels` addon (built with node-gyp, by `pnpm install` where a compiler and
   * OpenBLAS are present): `true` requires it (throws with the reason), `'auto'` uses it when it
   * loads and falls back to the stock kernels otherwise, `false` leaves wasm alone. Default: `'auto'`
   * in Node (fast by default), unless wasm threads are asked for (`wasmThreads` above 1) or
   * `FLOWS_NATIVE_KERNELS=0`; `false` in a browser. With it, wasm itself runs single-threaded: OpenBLAS
   * uses the cores (`wasmThreads` sets its thread count).
   */
  nativeKernels?: boolean | 'auto';
  /**
   * In a browser: where the wasm backend's three `.wasm` files are served, as a URL prefix ending in
   * `/` (copy `tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm` and
   * `tfjs-backend-wasm-threaded-simd.wasm` from `@tensorflow/tfjs-backend-wasm/dist/` there).
   * Default: the page's own directory. Ignored in Node, which reads them from the package.
   */
  wasmPaths?: string;
  /**
   * Multiply-adds of one step of the work to come (a training step's forward pass over a batch;
   * `Infinity` for work known to be large), for callers that size threads by their work, as the
   * command-line apps do. Given, it changes two defaults: the thread count, unless `wasmThreads` or
   * `FLOWS_WASM_THREADS` sets it, is every core from {@link WASM_THREADS_WORK_THRESHOLD} up and one
   * thread below; and threads no longer turn the native kernels off: they stay the default in Node
   * and take the threads (wasm runs one thread beside them), the wasm backend taking them only
   * where the native kernels are refused.
   */
  workPerStep?: number;
  /**
   * The `wasm` backend's matrix products and Adam update computed by this project's WebAssembly SIMD
   * kernels (`installWasmKernels` of `@flows/kernels`: products without per-call packing, either
   * operand transposed, the update in place on the heap; split between the threads asked for, while
   * TensorFlow.js's XNNPACK keeps one) instead of TensorFlow.js's, where the native kernels do not
   * compute the products. Default `true`; `false` or `FLOWS_WASM_KERNELS=0` keeps the stock ones
   * (with XNNPACK on the threads: convolution-heavy models may prefer that). Like the thread count,
   * fixed when the wasm backend first starts in a process or page.
   */
  wasmKernels?: boolean;
}

const BACKEND_OPTION_NAMES = optionNames<BackendOptions>()(['backend', 'env', 'wasmThreads', 'nativeKernels', 'wasmPaths', 'workPerStep', 'wasmKernels']);

/** The options and the environment, read once: what to start, and what every starter receives. */
export interface BackendSettings {
  /** The backend named, or `'auto'`. */
  requested: BackendName | 'auto';
  /** Who named it: the option, the environment variable, or nobody. */
  source: 'option' | 'environment' | 'auto';
  /** The starters' settings, less `auto`, which depends on how each is tried. */
  starter: Omit<StarterSettings, 'auto'>;
  /**
   * Whether the native kernels were asked about (the option or `FLOWS_NATIVE_KERNELS`): then a
   * backend other than wasm says why they are not in use. The default concerns wasm alone.
   */
  nativeKernelsAsked: boolean;
}

function parseBackend(value: string, where: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKEND_ORDER as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new Error(`${where}: unknown backend '${value}'; expected auto, ${BACKEND_ORDER.join(', ')}`);
}

async function coreCount(): Promise<number> {
  if (!isNode()) return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const os = await importNodeBuiltin<typeof import('node:os')>('os', 'the thread count');
  return os.cpus().length;
}

/**
 * The one place where the backend options and the environment are interpreted: which backend
 * (the option, else `FLOWS_BACKEND`, else `auto`), how many threads (`wasmThreads`, else
 * `FLOWS_WASM_THREADS`, else by `workPerStep`, else 1), and whether to use the native kernels
 * (`nativeKernels`, else `FLOWS_NATIVE_KERNELS` — `0` refuses, `1` is `'auto'` — else `'auto'` in Node
 * unless wasm threads are asked for without `workPerStep`: OpenBLAS brings its own threads).
 */
export async function resolveBackendSettings(options: BackendOptions = {}): Promise<BackendSettings> {
  assertKnownOptions(options, BACKEND_OPTION_NAMES, 'selectBackend');
  const env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
  const asked = options.wasmThreads ?? (env.FLOWS_WASM_THREADS ? Number(env.FLOWS_WASM_THREADS) : undefined);
  // The work sizes the threads only where nobody asked for a count.
  const byWork =
    asked !== undefined || options.workPerStep === undefined ? undefined : options.workPerStep >= WASM_THREADS_WORK_THRESHOLD ? await coreCount() : 1;
  const threads = asked ?? byWork ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`wasm threads must be a positive integer, got ${String(options.wasmThreads ?? env.FLOWS_WASM_THREADS)}`);
  const nativeFromEnv = env.FLOWS_NATIVE_KERNELS === '0' ? false : env.FLOWS_NATIVE_KERNELS === '1' ? 'auto' : undefined;
  const nativeKernels = options.nativeKernels ?? nativeFromEnv ?? (isNode() && (options.workPerStep !== undefined || !(threads > 1)) ? 'auto' : false);
  let requested: BackendName | 'auto' = 'auto';
  let source: BackendSettings['source'] = 'auto';
  if (options.backend && options.backend !== 'auto') {
    requested = parseBackend(options.backend, 'backend option');
    source = 'option';
  } else if (env[BACKEND_ENV_VARIABLE]) {
    requested = parseBackend(env[BACKEND_ENV_VARIABLE]!, BACKEND_ENV_VARIABLE);
    source = requested === 'auto' ? 'auto' : 'environment';
  }
  const wasmPaths = options.wasmPaths === undefined ? undefined : options.wasmPaths.endsWith('/') ? options.wasmPaths : `${options.wasmPaths}/`;
  return {
    requested,
    source,
    starter: {
      // The native kernels bring their own threads; wasm beside them stays single-threaded.
      wasmThreads: nativeKernels ? 1 : threads,
      ...(wasmPaths !== undefined ? { wasmPaths } : {}),
      nativeKernels,
      // FLOWS_WASM_THREADS is wasm's: under it the native kernels keep their own default (every core).
      ...(options.wasmThreads !== undefined || byWork !== undefined ? { nativeThreads: options.wasmThreads ?? byWork } : {}),
      wasmKernels: options.wasmKernels ?? env.FLOWS_WASM_KERNELS !== '0',
    },
    nativeKernelsAsked: options.nativeKernels !== undefined || env.FLOWS_NATIVE_KERNELS !== undefined,
  };
}
