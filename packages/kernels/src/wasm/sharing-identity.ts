import type * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from '../replace-kernel.js';

let installed = false;

interface WasmBackendRefs {
  incRef(dataId: object): void;
}

/**
 * Makes the `wasm` backend's `Identity` share the input's memory (one more reference to it) instead
 * of copying it, as the `cpu` backend's does and as the wasm backend's own `Reshape` already does.
 * TensorFlow.js runs `Identity` for every tensor that autodiff saves for the backward pass and for
 * every `tf.clone`, so the copies cost about 7 % of a Real NVP training step on the benchmark model.
 * Sharing is safe because no wasm kernel writes into memory that another tensor references: the
 * stock kernels never write into their inputs, and the one that may (the native Adam update of
 * `@flows/native-kernels`) does so only where the backend counts a single reference to the data, so
 * that a clone made here keeps the value it was made with. String tensors keep the original kernel.
 * Returns whether it is in place (false until the wasm backend's kernels are registered).
 */
export function registerWasmSharingIdentity(): boolean {
  if (installed) return true;
  // The wasm backend registers its kernels when imported: until then there is nothing to replace.
  installed = replaceKernel('Identity', 'wasm', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return null;
    (args.backend as WasmBackendRefs).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
  return installed;
}
