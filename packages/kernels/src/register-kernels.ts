import { registerCpuStridedSlice } from './cpu/strided-slice.js';
import { registerWasmSharingIdentity } from './wasm/sharing-identity.js';
import { registerWasmStridedSlice } from './wasm/strided-slice.js';
import { registerWebgpuAdam } from './webgpu/adam-programs.js';
import { registerWebgpuAffineCoupling } from './webgpu/affine-coupling-programs.js';
import { canRunWebgpuPrograms } from './webgpu/flat-programs.js';

/**
 * The registration list: per backend, what registers this package's kernels for it, returning
 * whether they are in place (false: not yet possible, try again later). A backend not listed has
 * none and runs the reference compositions. A new kernel for a backend is one more line here.
 */
const REGISTRATIONS: ReadonlyMap<string, () => boolean> = new Map([
  [
    'webgpu',
    () => {
      // The programs run through the backend's own program runner: only where it has one.
      if (!canRunWebgpuPrograms()) return false;
      registerWebgpuAffineCoupling();
      registerWebgpuAdam();
      return true;
    },
  ],
  // The wasm backend registers its kernels when imported: until then there is no Identity (or Slice) to replace.
  ['wasm', () => registerWasmSharingIdentity() && registerWasmStridedSlice()],
  // Likewise the cpu backend's Slice, replaced for blocks that are not contiguous.
  ['cpu', registerCpuStridedSlice],
]);

const done = new Set<string>();

/**
 * Registers this package's kernels for a backend, once: on `webgpu` the fused masked affine
 * coupling (density direction, with its gradient) and the Adam programs; on `wasm` an `Identity`
 * that shares its input's memory and a `Slice` that copies a block that is not contiguous run by run; on `cpu` a `Slice` that copies a block that is not contiguous run
 * by run. Other backends have none and run the reference compositions.
 *
 * The one function behind both ways in. `selectBackend` of `@flows/backends` calls it for the
 * backend it starts; users who activate a backend themselves with `tf.setBackend(name)` call it
 * after that. The operations of this package also call it for the active backend before they look
 * for a kernel, as a safety net: TensorFlow.js has no hook for "a backend became active", and the
 * WebGPU programs can only be registered once a webgpu backend runs (they go through its program
 * runner), so without the net a `tf.setBackend('webgpu')` of the usual TensorFlow.js kind would
 * silently run the slower reference compositions. Once registered, a call costs a set lookup.
 */
export function registerKernelsFor(backendName: string): void {
  if (done.has(backendName)) return;
  const register = REGISTRATIONS.get(backendName);
  if (register && !register()) return;
  done.add(backendName);
}
