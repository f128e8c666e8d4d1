/** The names the project's fused kernels are registered under, per backend (see the operations). */
export const AFFINE_COUPLING_INVERSE = 'FlowsAffineCouplingInverse';
export const ADAM_MOMENT = 'FlowsAdamMoment';
export const ADAM_PARAMETER = 'FlowsAdamParameter';
/** Inputs `{ x, dz }`, attribute `{ kernelSize }`: see `convolutionFilterGradient`. */
export const CONV2D_FILTER_GRADIENT = 'FlowsConv2DFilterGradient';

/** The numbers of one parameter update of Adam (see `adamParameter`). */
export interface AdamParameterStep {
  /** Where the variable's values start in the flat moments. */
  offset: number;
  /** `learningRate / (1 − β₁ᵗ)`. */
  stepSize: number;
  /** `1 / (1 − β₂ᵗ)`. */
  inverseCorrection2: number;
  epsilon: number;
  /** `1 − learningRate · weightDecay` (decoupled weight decay; 1 without). */
  decay: number;
}
