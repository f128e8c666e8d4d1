/** The names the project's fused kernels are registered under, per backend (see the operations). */
export const AFFINE_COUPLING_INVERSE = 'FlowsAffineCouplingInverse';
/**
 * The gradient of {@link AFFINE_COUPLING_INVERSE}: inputs `{ dx, dl, y, rawScale, rawTranslation,
 * inverseMask, scaleFactor }` (dx and dl the incoming gradients of x and of the log-det), attribute
 * `{ tanh }`; outputs the gradients of y, rawTranslation, rawScale and scaleFactor, in that order.
 */
export const AFFINE_COUPLING_INVERSE_GRADIENT = 'FlowsAffineCouplingInverseGradient';
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
