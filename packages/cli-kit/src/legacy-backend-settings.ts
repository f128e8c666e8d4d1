// The apps' backend settings before startBackend, kept only while toy-flow still calls them (the
// toy-flow/playground change adopts BACKEND_OPTIONS and startBackend): delete this file and its
// exports from index.ts with that change. They interpret `auto`/`wasm` and the native setting a
// second time, which @flows/backends' resolveBackendSettings now does once.
import { WASM_THREADS_WORK_THRESHOLD } from '@flows/backends';
import { UsageError } from './args.js';

/**
 * The wasm thread count the apps used: `--threads` if given, else `FLOWS_WASM_THREADS` (read by
 * selectBackend), else every core when a step's work (`multiplyAddsPerStep`) is at least
 * `WASM_THREADS_WORK_THRESHOLD`, and one thread below it.
 * @deprecated Use {@link startBackend} (or `selectBackend`'s `workPerStep`).
 */
export async function appWasmThreads(option: unknown, multiplyAddsPerStep: number): Promise<number | undefined> {
  if (typeof option === 'number') return option;
  if (process.env.FLOWS_WASM_THREADS) return undefined;
  if (multiplyAddsPerStep < WASM_THREADS_WORK_THRESHOLD) return 1;
  const os = await import('node:os');
  return os.cpus().length;
}

/**
 * The `nativeBlas` setting for `selectBackend` from `--native-blas` (require) and `--no-native`
 * (refuse): by default `'auto'` (the kernels whenever they load) where the backend may be wasm, and
 * `false` for a backend named otherwise, so its line does not explain why wasm kernels are absent.
 * @deprecated Use {@link startBackend}, which leaves the default to `@flows/backends` (and so honours `FLOWS_NATIVE_BLAS`).
 */
export function nativeBlasSetting(required: boolean | undefined, refused: boolean | undefined, backend: string | undefined = 'auto'): boolean | 'auto' {
  if (required && refused) throw new UsageError('--native-blas requires the native kernels and --no-native refuses them: choose one');
  if (refused) return false;
  if (required) return true;
  return backend === 'auto' || backend === 'wasm' ? 'auto' : false;
}
