import type * as tf from '@tensorflow/tfjs-core';
import type { FlowsKernelAttrs, FlowsKernelInputs, FlowsKernelName, FlowsKernelOutputs } from './kernel-contract.js';

/** What a backend's function for the fused kernel N receives: its inputs and attributes as the contract types them, and the backend as B. */
export interface FlowsKernelArguments<N extends FlowsKernelName, B> {
  inputs: FlowsKernelInputs<N, tf.TensorInfo>;
  attrs: FlowsKernelAttrs<N>;
  backend: B;
}

/** A backend's function for the fused kernel N: its outputs as the contract counts them. */
export type FlowsKernelFunction<N extends FlowsKernelName, B> = (args: FlowsKernelArguments<N, B>) => FlowsKernelOutputs<N, tf.TensorInfo>;

/**
 * The TensorFlow.js kernel configuration of a backend's implementation of the fused kernel N, for
 * `tf.registerKernel`: `kernelFunc` sees the inputs and attributes its contract names, typed, where
 * TensorFlow.js hands every kernel untyped maps. B is what the function needs of its backend (the
 * webgpu backend's program runner, the wasm backend's heap), which TensorFlow.js types as `{}`.
 */
export function flowsKernelConfig<N extends FlowsKernelName, B>(kernelName: N, backendName: string, kernelFunc: FlowsKernelFunction<N, B>): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    // The one cast of the contract: TensorFlow.js passes kernels untyped maps, and `runFlowsKernel`,
    // the operations' only door to these kernels, fills them as the contract says. The backend is
    // the one the kernel is registered for.
    kernelFunc: ({ inputs, attrs, backend }) =>
      kernelFunc({ inputs: inputs as FlowsKernelInputs<N, tf.TensorInfo>, attrs: attrs as FlowsKernelAttrs<N>, backend: backend as B }),
  };
}
