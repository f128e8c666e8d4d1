import * as tf from '@tensorflow/tfjs-core';
import type { FlowsKernelAttrs, FlowsKernelInputs, FlowsKernelName, FlowsKernelOutputs } from './kernel-contract.js';

/**
 * Runs the fused kernel `name` on the active backend, with the inputs and attributes its contract
 * names (`kernel-contract.ts`) and its outputs typed from the same place: the one door through which
 * this package's operations reach their kernels, so that TensorFlow.js's untyped `runKernel` maps
 * are typed once, here, and not cast at each call.
 */
export function runFlowsKernel<N extends FlowsKernelName>(
  name: N,
  inputs: FlowsKernelInputs<N, tf.Tensor>,
  attrs: FlowsKernelAttrs<N>,
): FlowsKernelOutputs<N, tf.Tensor> {
  return tf.engine().runKernel<FlowsKernelOutputs<N, tf.Tensor>>(name, inputs, attrs);
}
