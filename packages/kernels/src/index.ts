export { affineCouplingInverse, referenceAffineCouplingInverse, referenceAffineCouplingInverseGradient } from './affine-coupling-inverse.js';
export { denseCouplingInverse, referenceDenseCouplingInverse, type DenseLayers, type DenseNetwork } from './dense-coupling-inverse.js';
export { actNormInverse, referenceActNormInverse, referenceActNormInverseGradient } from './act-norm-inverse.js';
export {
  ACT_NORM_INVERSE,
  ACT_NORM_INVERSE_GRADIENT,
  AFFINE_COUPLING_INVERSE,
  AFFINE_COUPLING_INVERSE_GRADIENT,
  ADAM_MOMENT,
  ADAM_PARAMETER,
  ADAM_UPDATE,
  CONV2D_BACKWARD,
  CONV2D_FILTER_GRADIENT,
  DENSE_COUPLING_INVERSE,
  DENSE_COUPLING_INVERSE_GRADIENT,
  DENSE_COUPLING_MAX_LAYERS,
  FLOWS_KERNEL_NAMES,
  type ActNormInverseAttrs,
  type ActNormInverseGradientInputs,
  type ActNormInverseGradientOutputs,
  type ActNormInverseInputs,
  type AdamMomentAttrs,
  type AdamMomentInputs,
  type AdamParameterInputs,
  type AdamParameterStep,
  type AdamUpdateAttrs,
  type AdamUpdateInputs,
  type AdamUpdateOutputs,
  type AffineCouplingInverseAttrs,
  type AffineCouplingInverseGradientInputs,
  type AffineCouplingInverseGradientOutputs,
  type AffineCouplingInverseInputs,
  type AffineCouplingInverseOutputs,
  type Conv2DBackwardAttrs,
  type Conv2DBackwardInputs,
  type Conv2DBackwardOutputs,
  type Conv2DFilterGradientAttrs,
  type Conv2DFilterGradientInputs,
  type DenseCouplingInverseAttrs,
  type DenseCouplingInverseGradientInputs,
  type DenseCouplingInverseGradientOutputs,
  type DenseCouplingInverseInputs,
  type DenseCouplingInverseOutputs,
  type DenseCouplingLayerInputs,
  type FlowsKernelAttrs,
  type FlowsKernelInputs,
  type FlowsKernelName,
  type FlowsKernelOutputs,
  type FlowsKernels,
} from './kernel-contract.js';
export { runFlowsKernel } from './run-flows-kernel.js';
export { flowsKernelConfig, type FlowsKernelArguments, type FlowsKernelFunction } from './flows-kernel-config.js';
export { convolutionFilterGradient, referenceConvolutionFilterGradient } from './convolution-filter-gradient.js';
export { convolutionBackward, referenceConvolutionBackward, type ConvolutionActivation } from './convolution-backward.js';
export { convolutionLayer } from './convolution-layer.js';
export {
  adamMoment,
  adamParameter,
  referenceAdamMoment,
  referenceAdamParameter,
  hasFusedAdamKernels,
} from './adam-step.js';
export { adamUpdate, referenceAdamUpdate, hasFusedAdamUpdate, type AdamUpdateResult, type AdamUpdateStep } from './adam-update.js';
export { registerKernelsFor } from './register-kernels.js';
export { tensorsInMainMemory, tensorsReferenceTheirValues } from './backend-traits.js';
export { canRunWebgpuPrograms, runFlatProgram, runProgramOn, type FlatProgram, type ProgramUniform } from './webgpu/flat-programs.js';
export { installWasmKernels, uninstallWasmKernels, type WasmKernelsStatus } from './wasm/own-wasm-kernels.js';
export { HeapThreads, threadBand, type StartHelper } from './wasm/heap-threads.js';
export { planAdamUpdate, type AdamUpdateHeap } from './adam-update-plan.js';
