import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime, isNode } from '@flows/core';
import { registerKernelsFor } from '@flows/kernels';
import type { BackendStarter, NativeKernelsFound, StartedBackend, StarterSettings, WasmKernelsFound } from './backend-starter.js';
import { type BackendOptions, resolveBackendSettings } from './backend-settings.js';
import { BACKENDS, type BackendName, backendStarter } from './backend-table.js';
import { describeNativeKernels } from './native-kernels.js';

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
   * In a page: why the wasm backend's threaded build did not start (a thread worker threw, or the
   * workers did not load in time), so that its single-threaded SIMD build runs; also warned in the console.
   */
  threadsFailed?: string;
  /**
   * Native kernels on wasm (`@flows/native-kernels`): their thread count and what computes the matrix
   * products (the addon's own AVX-512 kernel or OpenBLAS), or why they are not in use when asked for.
   */
  nativeKernels?: NativeKernelsFound;
  /** The wasm backend's own SIMD kernels (`installWasmKernels` of `@flows/kernels`: matrix products, the Adam update): their threads, or why they are not in use. */
  wasmKernels?: WasmKernelsFound;
}

/**
 * Starts one row of the table and registers the fused kernels of `@flows/kernels` for it: the one
 * place where a backend started by this package gets them (WGSL programs on webgpu, a sharing
 * `Identity` on wasm). The programs need the started backend, so they cannot be registered sooner.
 */
async function start(starter: BackendStarter<BackendName>, settings: StarterSettings): Promise<StartedBackend> {
  const found = await starter.start(settings);
  await tf.ready();
  registerKernelsFor(starter.name);
  return found;
}

/**
 * Picks and activates a TensorFlow.js backend: the option, else the `FLOWS_BACKEND` environment
 * variable, else the first row of `BACKENDS` that runs here and starts (`tensorflow` when
 * tfjs-node-gpu or tfjs-node is installed, `webgpu` when a hardware adapter is found, in Node
 * through the `webgpu` package, `webgl` in browsers, `wasm`, `cpu`). A backend named explicitly
 * must start, or this throws with the reason. Registers the fused kernels of `@flows/kernels` for
 * the backend it starts (after `tf.setBackend` of your own, call `registerKernelsFor` instead).
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendChoice> {
  const settings = await resolveBackendSettings(options);
  const choice = await chooseBackend(settings.requested, settings.source, settings.starter);
  // Only the stock wasm kernels make transposed products slow enough to transpose explicitly (the
  // native and the own SIMD products read either layout in place).
  const ownProducts = (choice.nativeKernels && 'threads' in choice.nativeKernels) || (choice.wasmKernels && 'threads' in choice.wasmKernels);
  configureRuntime({ denseGradients: choice.name === 'wasm' && !ownProducts ? 'explicit-transpose' : 'transpose-flags' });
  const native = settings.starter.nativeKernels;
  if (!native || choice.name === 'wasm') {
    if (native === true && choice.nativeKernels && 'unavailable' in choice.nativeKernels)
      throw new Error(`the native kernels were requested but are not available: ${choice.nativeKernels.unavailable}`);
    return choice;
  }
  // The default concerns wasm alone: another backend chosen by default says nothing about it.
  if (!settings.nativeKernelsAsked) return choice;
  const reason = `the backend is ${choice.name}, not wasm`;
  if (native === true) throw new Error(`the native kernels were requested but are not available: ${reason}`);
  return { ...choice, nativeKernels: { unavailable: reason } };
}

/** Starts the requested backend, or the first row that runs here and starts; then its `afterStart`. */
async function chooseBackend(
  requested: BackendName | 'auto',
  source: BackendChoice['source'],
  settings: Omit<StarterSettings, 'auto'>,
): Promise<BackendChoice> {
  let chosen: { starter: BackendStarter<BackendName>; found: StartedBackend; skipped: BackendChoice['skipped']; auto: boolean } | undefined;
  if (requested !== 'auto') {
    const starter = backendStarter(requested);
    try {
      chosen = { starter, found: await start(starter, { ...settings, auto: false }), skipped: [], auto: false };
    } catch (error) {
      throw new Error(`backend '${requested}' (from ${source}) is not available: ${(error as Error).message}`);
    }
  } else {
    const skipped: BackendChoice['skipped'] = [];
    const here = isNode() ? 'node' : 'browser';
    for (const starter of BACKENDS.filter((row) => row.runsIn.includes(here))) {
      try {
        chosen = { starter, found: await start(starter, { ...settings, auto: true }), skipped, auto: true };
        break;
      } catch (error) {
        skipped.push({ name: starter.name, reason: (error as Error).message });
      }
    }
    if (!chosen) throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  }
  const { starter, found, skipped, auto } = chosen;
  const more = (await starter.afterStart?.({ ...settings, auto })) ?? {};
  return { name: starter.name, source, skipped, ...found, ...more };
}

/** One line for logs: `backend: wasm (auto; skipped tensorflow: ..., webgpu: ...)`. */
export function describeBackend(choice: BackendChoice): string {
  const skipped = choice.skipped.length ? `; skipped ${choice.skipped.map((s) => `${s.name}: ${s.reason}`).join(', ')}` : '';
  const details = backendStarter(choice.name).describe(choice);
  return `backend: ${choice.name}${details}${describeNativeKernels(choice.nativeKernels)} (${choice.source}${skipped})`;
}
