import { registerWasmSharingIdentity } from './wasm/sharing-identity.js';
import { registerWebgpuAdam } from './webgpu/adam-programs.js';
import { registerWebgpuAffineCoupling } from './webgpu/affine-coupling-programs.js';
import { canRunWebgpuPrograms } from './webgpu/flat-programs.js';

const done = new Set<string>();

/**
 * Registers this package's kernels for a backend, once: on `webgpu` the fused masked affine
 * coupling (density direction, with its gradient) and the two Adam programs; on `wasm` an
 * `Identity` that shares its input's memory. Other backends have none and run the reference
 * compositions. The operations call it for the active backend; `selectBackend` of `@flows/flows`
 * calls it when it starts one.
 */
export function registerKernelsFor(backendName: string): void {
  if (done.has(backendName)) return;
  if (backendName === 'webgpu') {
    // The programs run through the backend's own program runner: only where it has one.
    if (!canRunWebgpuPrograms()) return;
    registerWebgpuAffineCoupling();
    registerWebgpuAdam();
  } else if (backendName === 'wasm') {
    if (!registerWasmSharingIdentity()) return;
  }
  done.add(backendName);
}
