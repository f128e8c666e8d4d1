export { affineCouplingInverse, referenceAffineCouplingInverse, referenceAffineCouplingInverseGradient } from './affine-coupling-inverse.js';
export {
  AFFINE_COUPLING_INVERSE,
  AFFINE_COUPLING_INVERSE_GRADIENT,
  ADAM_MOMENT,
  ADAM_PARAMETER,
  CONV2D_FILTER_GRADIENT,
  FLOWS_KERNEL_NAMES,
  type AdamMomentAttrs,
  type AdamMomentInputs,
  type AdamParameterInputs,
  type AdamParameterStep,
  type AffineCouplingInverseAttrs,
  type AffineCouplingInverseGradientInputs,
  type AffineCouplingInverseGradientOutputs,
  type AffineCouplingInverseInputs,
  type AffineCouplingInverseOutputs,
  type Conv2DFilterGradientAttrs,
  type Conv2DFilterGradientInputs,
  type FlowsKernelAttrs,
  type FlowsKernelInputs,
  type FlowsKernelName,
  type FlowsKernelOutputs,
  type FlowsKernels,
} from './kernel-contract.js';
export { runFlowsKernel } from './run-flows-kernel.js';
export { flowsKernelConfig, type FlowsKernelArguments, type FlowsKernelFunction } from './flows-kernel-config.js';
export { convolutionFilterGradient, referenceConvolutionFilterGradient } from './convolution-filter-gradient.js';
export {
  adamMoment,
  adamParameter,
  referenceAdamMoment,
  referenceAdamParameter,
  hasFusedAdamKernels,
} from './adam-step.js';
export { registerKernelsFor } from './register-kernels.js';
export { tensorsInMainMemory, tensorsReferenceTheirValues } from './backend-traits.js';
export { canRunWebgpuPrograms, runFlatProgram, runProgramOn, type FlatProgram, type ProgramUniform } from './webgpu/flat-programs.js';
