export { affineCouplingInverse, referenceAffineCouplingInverse, referenceAffineCouplingInverseGradient } from './affine-coupling-inverse.js';
export {
  AFFINE_COUPLING_INVERSE,
  AFFINE_COUPLING_INVERSE_GRADIENT,
  ADAM_MOMENT,
  ADAM_PARAMETER,
  CONV2D_FILTER_GRADIENT,
  type AdamParameterStep,
} from './kernel-names.js';
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
