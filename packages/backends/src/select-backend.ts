import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime, assertKnownOptions, importNodeBuiltin, isNode, optionNames } from '@flows/core';
import { registerKernelsFor } from '@flows/kernels';
import { installWasmThreadsShim, releaseWasmWorkers, withDoubledCoreCount } from './wasm-threads.js';

/**
 * The backends the toolkit knows, in the order `auto` tries them: native TensorFlow (Node), a
 * hardware GPU through WebGPU or WebGL (software renderers are skipped: slower than wasm), the
 * wasm backend, and the pure-JavaScript cpu backend.
 */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Environment variable that overrides the automatic choice (same values as the option). */
export const BACKEND_ENV_VARIABLE = 'FLOWS_BACKEND';

export interface BackendOptions {
  /** A backend name, or `'auto'` (the default) for the first available in {@link BACKEND_ORDER}. */
  backend?: BackendName | 'auto';
  /** Environment to read {@link BACKEND_ENV_VARIABLE} from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Threads for the `wasm` backend (opt-in; default 1, or `FLOWS_WASM_THREADS`). In Node: never more
   * than the cores, through a worker shim. In a browser: used when the page is cross-origin
   * isolated (COOP and COEP headers), which the threaded SIMD build needs; otherwise one thread.
   */
  wasmThreads?: number;
  /**
   * Route the `wasm` backend's matrix products to OpenBLAS through the optional
   * `@flows/native-blas` addon (built with node-gyp, by `pnpm install` where a compiler and
   * OpenBLAS are present): `true` requires it (throws with the reason), `'auto'` uses it when it
   * loads and falls back to the stock kernels otherwise, `false` leaves wasm alone. Default: `'auto'`
   * in Node (fast by default), unless wasm threads are asked for (`wasmThreads` above 1) or
   * `FLOWS_NATIVE_BLAS=0`; `false` in a browser. With it, wasm itself runs single-threaded: OpenBLAS
   * uses the cores (`wasmThreads` sets its thread count).
   */
  nativeBlas?: boolean | 'auto';
  /**
   * In a browser: where the wasm backend's three `.wasm` files are served, as a URL prefix ending in
   * `/` (copy `tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm` and
   * `tfjs-backend-wasm-threaded-simd.wasm` from `@tensorflow/tfjs-backend-wasm/dist/` there).
   * Default: the page's own directory. Ignored in Node, which reads them from the package.
   */
  wasmPaths?: string;
}

const BACKEND_OPTION_NAMES = optionNames<BackendOptions>()(['backend', 'env', 'wasmThreads', 'nativeBlas', 'wasmPaths']);

export interface BackendChoice {
  /** The backend now active in TensorFlow.js. */
  name: BackendName;
  /** Why: 'option', 'environment' or 'auto'. */
  source: 'option' | 'environment' | 'auto';
  /** Backends tried before it and why each was passed over. */
  skipped: { name: BackendName; reason: string }[];
  /** The GPU, when `webgpu` or `webgl` was chosen (marked `(software)` for a CPU rasterizer). */
  adapter?: string;
  /** Threads of the wasm backend, when it was chosen. */
  threads?: number;
  /**
   * Native kernels on wasm (`@flows/native-blas`): their thread count and what computes the matrix
   * products (the addon's own AVX-512 kernel or OpenBLAS), or why they are not in use when asked for.
   */
  nativeBlas?: { threads: number; products?: 'avx512' | 'openblas' } | { unavailable: string };
}

// Optional packages are imported by computed name so bundlers do not try to resolve them.
async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
}

async function tryTensorflow(): Promise<void> {
  const errors: string[] = [];
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(name);
      if (await tf.setBackend('tensorflow')) return;
      errors.push(`${name} loaded but the 'tensorflow' backend did not start`);
    } catch (error) {
      errors.push(`${name} not installed`);
      void error;
    }
  }
  throw new Error(errors.join('; '));
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { description?: string; vendor?: string; architecture?: string; device?: string; isFallbackAdapter?: boolean };
}

/** The WebGPU adapter in words, for logs: `llvmpipe: Mesa 25.0.7 (software)`. */
let webgpuAdapterDescription: string | undefined;

/** An adapter's name and whether it is a software rasterizer (Mesa's lavapipe, SwiftShader). */
interface AdapterSummary {
  name: string;
  software: boolean;
}

function summarizeAdapter(adapter: AdapterLike): AdapterSummary {
  const info = adapter.info ?? {};
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || info.architecture === 'software';
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return { name, software };
}

/** Why the automatic choice passes over a software adapter. */
function softwareAdapterError(name: string): Error {
  return new Error(`only a software adapter (${name}); name the backend to use it anyway`);
}

/**
 * Asks Dawn for an adapter in a child Node process whose stderr is dropped. Dawn prints warnings
 * while it looks for a GPU ("Couldn't load Vulkan", limits it reduces) that a user who did not ask
 * for WebGPU should not see; in-process they would go straight to this process's stderr.
 */
async function probeWebgpuQuietly(): Promise<AdapterSummary | null> {
  const { execFile } = await importNodeBuiltin<typeof import('node:child_process')>('child_process', 'the WebGPU probe');
  const { createRequire } = await importNodeBuiltin<typeof import('node:module')>('module', 'the WebGPU probe');
  const { pathToFileURL } = await importNodeBuiltin<typeof import('node:url')>('url', 'the WebGPU probe');
  let dawnUrl: string;
  try {
    dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    throw new Error("no navigator.gpu and the optional 'webgpu' package is not installed");
  }
  // The child reports the adapter's raw fields; summarizeAdapter reads them here, as for an adapter in-process.
  const script = `const dawn = await import(${JSON.stringify(dawnUrl)});
const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
const { description, vendor, architecture, device, isFallbackAdapter } = adapter?.info ?? {};
process.stdout.write(JSON.stringify(adapter ? { isFallbackAdapter: adapter.isFallbackAdapter, info: { description, vendor, architecture, device, isFallbackAdapter } } : null));
process.exit(0);`;
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' }, (_error, stdout) => resolve(stdout));
  });
  try {
    const adapter = JSON.parse(output) as AdapterLike | null;
    return adapter ? summarizeAdapter(adapter) : null;
  } catch {
    return null;
  }
}

async function tryWebgpu(auto: boolean): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: { requestAdapter(options?: object): Promise<unknown> } } };
  if (!g.navigator?.gpu && auto && isNode()) {
    // The automatic choice looks first in a quiet child process, and loads Dawn here only for a hardware GPU.
    const found = await probeWebgpuQuietly();
    if (!found) throw new Error('no WebGPU adapter found');
    if (found.software) throw softwareAdapterError(found.name);
  }
  if (!g.navigator?.gpu) {
    // In Node, the `webgpu` package (Dawn) provides navigator.gpu.
    let dawn: Record<string, unknown>;
    try {
      dawn = await importOptional('webgpu');
    } catch {
      throw new Error("no navigator.gpu and the optional 'webgpu' package is not installed");
    }
    Object.assign(globalThis, dawn.globals as object);
    const gpu = (dawn.create as (flags: string[]) => { requestAdapter(): Promise<unknown> })([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = (await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' })) as AdapterLike | null;
  if (!adapter) throw new Error('no WebGPU adapter found');
  const { name, software } = summarizeAdapter(adapter);
  // A software rasterizer (Mesa's lavapipe, SwiftShader) runs WGSL on the CPU far slower than wasm:
  // right for testing kernels, wrong as an automatic choice.
  if (software && auto) throw softwareAdapterError(name);
  webgpuAdapterDescription = `${name}${software ? ' (software)' : ''}`;
  // A page's bundle registers the backend by importing it; in Node it is imported here.
  if (!tf.findBackendFactory('webgpu')) {
    try {
      await importOptional('@tensorflow/tfjs-backend-webgpu');
    } catch {
      throw new Error(
        isNode()
          ? "a GPU adapter exists but '@tensorflow/tfjs-backend-webgpu' is not installed"
          : "a GPU adapter exists: add import '@tensorflow/tfjs-backend-webgpu' to your page to use it",
      );
    }
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error("the 'webgpu' backend did not start");
}

let webglRendererDescription: string | undefined;

/**
 * The WebGL renderer of a throwaway canvas, and whether it is a CPU rasterizer. In a Web Worker
 * (no `document`) the canvas is an `OffscreenCanvas`, which is also what the webgl backend draws on there.
 */
function webglRenderer(): { name: string; software: boolean } | null {
  type Canvas = { getContext(kind: string): unknown };
  const scope = globalThis as {
    document?: { createElement(tag: 'canvas'): Canvas };
    OffscreenCanvas?: new (width: number, height: number) => Canvas;
  };
  const canvas = (): Canvas | null =>
    scope.document ? scope.document.createElement('canvas') : scope.OffscreenCanvas ? new scope.OffscreenCanvas(1, 1) : null;
  if (!canvas()) return null;
  const gl = (canvas()?.getContext('webgl2') ?? canvas()?.getContext('webgl')) as {
    getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
    getParameter(parameter: number): unknown;
    RENDERER: number;
  } | null;
  if (!gl) return null;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown renderer');
  return { name, software: /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i.test(name) };
}

async function tryWebgl(auto: boolean): Promise<void> {
  if (isNode()) throw new Error('WebGL needs a browser');
  const renderer = webglRenderer();
  if (!renderer) throw new Error('this browser gives no WebGL context');
  // A software rasterizer (SwiftShader, llvmpipe) runs the shaders on the CPU, slower than wasm.
  if (renderer.software && auto) throw new Error(`only a software renderer (${renderer.name}); name the backend to use it anyway`);
  webglRendererDescription = `${renderer.name}${renderer.software ? ' (software)' : ''}`;
  if (!tf.findBackendFactory('webgl')) {
    try {
      await importOptional('@tensorflow/tfjs-backend-webgl');
    } catch {
      throw new Error(
        isNode()
          ? "the 'webgl' backend is not installed (npm install @tensorflow/tfjs-backend-webgl)"
          : "the 'webgl' backend is not registered: add import '@tensorflow/tfjs-backend-webgl' to your page",
      );
    }
  }
  if (!(await tf.setBackend('webgl'))) throw new Error("the 'webgl' backend did not start");
}

let wasmThreadsWanted = 1;
let wasmThreadsStarted: number | undefined;
let wasmPathPrefix: string | undefined;

async function tryWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const inNode = isNode();
  // The thread count and the files' location are fixed when the backend first starts.
  const firstStart = tf.findBackend('wasm') == null;
  if (firstStart && !inNode && wasmPathPrefix) wasm.setWasmPaths(wasmPathPrefix);
  // In a browser the threaded build runs when the page is cross-origin isolated; its thread count is ours to set.
  if (firstStart && !inNode && wasmThreadsWanted > 1) wasm.setThreadsCount(wasmThreadsWanted);
  if (firstStart && wasmThreadsWanted > 1 && inNode) {
    const threads = await installWasmThreadsShim(wasmThreadsWanted);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    if (!(await withDoubledCoreCount(() => tf.setBackend('wasm')))) throw new Error("the threaded 'wasm' backend did not start");
    releaseWasmWorkers();
  } else if (!(await tf.setBackend('wasm'))) {
    throw new Error(
      inNode
        ? "the 'wasm' backend did not start"
        : `the 'wasm' backend did not start: its .wasm files were not found at ${wasmPathPrefix ?? "the page's directory"} (copy the three .wasm files of @tensorflow/tfjs-backend-wasm/dist there, or pass wasmPaths)`,
    );
  }
  wasmThreadsStarted = wasm.getThreadsCount();
}

async function tryCpu(): Promise<void> {
  // A dependency of this package: registers itself on import (once; later imports are cached).
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend did not start");
  // The cpu backend prints advice to install tfjs-node on first use; the choice is reported instead.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

const starters: Record<BackendName, (auto: boolean) => Promise<void>> = {
  tensorflow: tryTensorflow,
  webgpu: (auto) => tryWebgpu(auto),
  webgl: (auto) => tryWebgl(auto),
  wasm: tryWasm,
  cpu: tryCpu,
};

function parseBackend(value: string, where: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKEND_ORDER as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new Error(`${where}: unknown backend '${value}'; expected auto, ${BACKEND_ORDER.join(', ')}`);
}

/**
 * Picks and activates a TensorFlow.js backend: the option, else the `FLOWS_BACKEND` environment
 * variable, else the first that starts of `tensorflow` (tfjs-node-gpu or tfjs-node, when
 * installed), `webgpu` (when a GPU adapter is found, in Node through the `webgpu` package),
 * `wasm`, `cpu`. A backend named explicitly must start, or this throws with the reason.
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendChoice> {
  assertKnownOptions(options, BACKEND_OPTION_NAMES, 'selectBackend');
  const choice = await chooseBackend(options);
  // The fused kernels of @flows/kernels for this backend (WGSL programs on webgpu, a sharing Identity on wasm).
  registerKernelsFor(choice.name);
  // Only the stock wasm kernels make transposed products slow enough to transpose explicitly.
  configureRuntime({ denseGradients: choice.name === 'wasm' ? 'explicit-transpose' : 'transpose-flags' });
  const env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
  const native = nativeSetting(options, env);
  if (!native) return choice;
  // The default concerns wasm alone: another backend chosen by default says nothing about it.
  if (options.nativeBlas === undefined && env.FLOWS_NATIVE_BLAS === undefined && choice.name !== 'wasm') return choice;
  const reason = choice.name !== 'wasm' ? `the backend is ${choice.name}, not wasm` : await installNativeBlas(options.wasmThreads);
  if (typeof reason !== 'string') {
    configureRuntime({ denseGradients: 'transpose-flags' });
    return { ...choice, nativeBlas: reason };
  }
  if (native === true) throw new Error(`native BLAS was requested but is not available: ${reason}`);
  return { ...choice, nativeBlas: { unavailable: reason } };
}

/**
 * Whether to use the native kernels of @flows/native-blas: the option, else `FLOWS_NATIVE_BLAS` (`0` refuses, `1` is
 * `'auto'`), else `'auto'` in Node unless wasm threads are asked for (the two are alternatives:
 * OpenBLAS brings its own threads), and `false` in a browser.
 */
function nativeSetting(options: BackendOptions, env: Record<string, string | undefined>): boolean | 'auto' {
  if (options.nativeBlas !== undefined) return options.nativeBlas;
  if (env.FLOWS_NATIVE_BLAS === '0') return false;
  if (env.FLOWS_NATIVE_BLAS === '1') return 'auto';
  const threads = options.wasmThreads ?? (env.FLOWS_WASM_THREADS ? Number(env.FLOWS_WASM_THREADS) : 1);
  return isNode() && !(threads > 1) ? 'auto' : false;
}

/** Installs the optional native kernels; their thread count and products, or why not. */
async function installNativeBlas(threads: number | undefined): Promise<{ threads: number; products?: 'avx512' | 'openblas' } | string> {
  let module: Record<string, unknown>;
  try {
    module = await importOptional('@flows/native-blas');
  } catch {
    return "the optional '@flows/native-blas' package is not installed";
  }
  const install = (module.installNativeKernels ?? module.installNativeMatMul) as (o: { threads?: number }) => {
    installed: boolean;
    reason?: string;
    threads?: number;
    products?: 'avx512' | 'openblas';
  };
  const status = install({ threads });
  if (!status.installed) return status.reason ?? 'unknown reason';
  return status.products ? { threads: status.threads ?? 1, products: status.products } : { threads: status.threads ?? 1 };
}

function details(name: BackendName): Partial<BackendChoice> {
  if (name === 'wasm') return { threads: wasmThreadsStarted };
  if (name === 'webgpu') return { adapter: webgpuAdapterDescription };
  if (name === 'webgl') return { adapter: webglRendererDescription };
  return {};
}

async function chooseBackend(options: BackendOptions): Promise<BackendChoice> {
  const env = options.env ?? (typeof process !== 'undefined' ? process.env : {});
  const threads = options.wasmThreads ?? (env.FLOWS_WASM_THREADS ? Number(env.FLOWS_WASM_THREADS) : 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`wasm threads must be a positive integer, got ${String(options.wasmThreads ?? env.FLOWS_WASM_THREADS)}`);
  const nativeWanted = nativeSetting(options, env);
  // OpenBLAS brings its own threads; wasm beside it stays single-threaded.
  wasmThreadsWanted = nativeWanted ? 1 : threads;
  if (options.wasmPaths !== undefined) wasmPathPrefix = options.wasmPaths.endsWith('/') ? options.wasmPaths : `${options.wasmPaths}/`;
  let requested: BackendName | 'auto' = 'auto';
  let source: BackendChoice['source'] = 'auto';
  if (options.backend && options.backend !== 'auto') {
    requested = parseBackend(options.backend, 'backend option');
    source = 'option';
  } else if (env[BACKEND_ENV_VARIABLE]) {
    requested = parseBackend(env[BACKEND_ENV_VARIABLE]!, BACKEND_ENV_VARIABLE);
    source = requested === 'auto' ? 'auto' : 'environment';
  }
  if (requested !== 'auto') {
    try {
      await starters[requested](false);
    } catch (error) {
      throw new Error(`backend '${requested}' (from ${source}) is not available: ${(error as Error).message}`);
    }
    await tf.ready();
    return { name: requested, source, skipped: [], ...details(requested) };
  }
  const skipped: BackendChoice['skipped'] = [];
  // Candidates where this code runs: native TensorFlow only in Node, WebGL only in a browser.
  const candidates = BACKEND_ORDER.filter((name) => (isNode() ? name !== 'webgl' : name !== 'tensorflow'));
  for (const name of candidates) {
    try {
      await starters[name](true);
      await tf.ready();
      return { name, source, skipped, ...details(name) };
    } catch (error) {
      skipped.push({ name, reason: (error as Error).message });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** One line for logs: `backend: wasm (auto; skipped tensorflow: ..., webgpu: ...)`. */
export function describeBackend(choice: BackendChoice): string {
  const skipped = choice.skipped.length ? `; skipped ${choice.skipped.map((s) => `${s.name}: ${s.reason}`).join(', ')}` : '';
  // Threads in Node need the worker shim of wasm-threads.ts (it wraps Blob, URL.createObjectURL and
  // worker_threads' postMessage, and reports twice the cores while the backend starts): installed only
  // when threads are asked for, and said here.
  const threads = choice.threads && choice.threads > 1 ? `, ${choice.threads} threads${isNode() ? ' (worker shim installed for Node)' : ''}` : '';
  const native = !choice.nativeBlas
    ? ''
    : 'threads' in choice.nativeBlas
      ? `, native kernels: ${choice.nativeBlas.products === 'avx512' ? 'own AVX-512 matrix products' : 'OpenBLAS matrix products'} (${choice.nativeBlas.threads} threads)`
      : `, stock matrix products (native BLAS unavailable: ${choice.nativeBlas.unavailable})`;
  const adapter = choice.adapter ? ` on ${choice.adapter}` : '';
  return `backend: ${choice.name}${adapter}${threads}${native} (${choice.source}${skipped})`;
}
