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
      // TensorFlow.js hands every kernel untyped maps and types its backend as {}. Each kernel file
      // states which of TensorFlow.js's Inputs/Attrs types its kernel's name receives; the list holds
      // the kernels as ReplacingKernel<unknown, unknown>, which TypeScript accepts because it checks
      // methods' parameters bivariantly: no cast, and no check either, so a kernel's file and name
      // must agree. The one cast is the backend's: this kernel is registered for wasm only.
      kernel.run({ inputs: args.inputs, attrs: args.attrs ?? {}, backend: args.backend as WasmBackendInternals }, addon) ?? original.kernelFunc(args),
  });
  return true;
}
