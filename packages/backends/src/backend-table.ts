import type { BackendStarter, BackendRuntime } from './backend-starter.js';
import { cpuStarter } from './cpu-starter.js';
import { tensorflowStarter } from './tensorflow-starter.js';
import { wasmStarter } from './wasm-starter.js';
import { webglStarter } from './webgl-starter.js';
import { webgpuStarter } from './webgpu-starter.js';

/**
 * Every backend the toolkit knows, in the order `auto` tries them (as TensorFlow.js's engine keeps
 * its backends in a priority table): native TensorFlow (Node), a hardware GPU through WebGPU or
 * WebGL (software renderers are skipped: slower than wasm), the wasm backend (with the native
 * kernels in Node), and the pure-JavaScript cpu backend. Each row says where it runs, starts itself
 * from the settings it receives, and describes what it found. The names, the order and the choices
 * below all come from this table: a new backend is one more row.
 */
export const BACKENDS = [tensorflowStarter, webgpuStarter, webglStarter, wasmStarter, cpuStarter] as const satisfies readonly BackendStarter[];

/** A backend of {@link BACKENDS}: `'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu'`. */
export type BackendName = (typeof BACKENDS)[number]['name'];

/** The backends' names in the order `auto` tries them. */
export const BACKEND_ORDER: readonly BackendName[] = BACKENDS.map((starter) => starter.name);

/** What a user may name: `'auto'` (the first that starts, in {@link BACKEND_ORDER}) or a backend. */
export const BACKEND_CHOICES: readonly ('auto' | BackendName)[] = ['auto', ...BACKEND_ORDER];

/**
 * The choices that can work where code runs: `'auto'` and the backends whose row runs there (in
 * Node no `webgl`, in a browser no `tensorflow`), for a page's or an app's menu.
 */
export function backendChoices(runtime: BackendRuntime): readonly ('auto' | BackendName)[] {
  return ['auto', ...BACKENDS.filter((starter) => starter.runsIn.includes(runtime)).map((starter) => starter.name)];
}

/** The row of a backend. */
export function backendStarter(name: BackendName): BackendStarter<BackendName> {
  return BACKENDS.find((starter) => starter.name === name)!;
}
