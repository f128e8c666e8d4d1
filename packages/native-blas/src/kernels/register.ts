import * as tf from '@tensorflow/tfjs-core';
import { flowsKernelConfig } from '@flows/kernels';
import type { NativeAddon } from '../addon.js';
import type { WasmBackendInternals } from './heap.js';
import type { NativeKernel } from './native-kernel.js';

/**
 * Registers one native kernel for the wasm backend, computed by `addon`; returns whether it is in
 * place. A replacing kernel wraps the backend's own (which runs whatever the native one declines)
 * and needs it registered; a fused kernel of `@flows/kernels` is added unless the backend already
 * has one under that name.
 */
export function registerNativeKernel(kernel: NativeKernel, addon: NativeAddon): boolean {
  if (kernel.kind === 'fused') {
    if (!tf.getKernel(kernel.kernelName, 'wasm'))
      tf.registerKernel(flowsKernelConfig<typeof kernel.kernelName, WasmBackendInternals>(kernel.kernelName, 'wasm', (args) => kernel.run(args, addon)));
    return true;
  }
  const original = tf.getKernel(kernel.kernelName, 'wasm');
  if (!original) return false;
  tf.unregisterKernel(kernel.kernelName, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) =>
      // The one cast of the stock kernels: TensorFlow.js hands every kernel untyped maps and types
      // its backend as {}; the kernel's name says which of TensorFlow.js's Inputs/Attrs types they
      // are (each kernel file names them), and this kernel is registered for the wasm backend only.
      kernel.run({ inputs: args.inputs, attrs: args.attrs ?? {}, backend: args.backend as WasmBackendInternals }, addon) ?? original.kernelFunc(args),
  });
  return true;
}
