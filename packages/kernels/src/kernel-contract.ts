/**
 * The contract of the project's fused kernels, stated once: each kernel's name, the inputs and
 * attributes it takes and the outputs it gives, with their shapes. The operations of this package
 * run them through `runFlowsKernel`, backends register them with `flowsKernelConfig` (the `webgpu`
 * programs here, the native loops of `@flows/native-kernels` on `wasm`), and both sides take their
 * types from here, so a renamed input or a changed attribute fails to compile on every side at once
 * instead of reaching a kernel as `undefined`.
 *
 * Dependency-free (no TensorFlow.js import), so that a backend package can read it without the
 * operations: `T` is the tensor type, `tf.Tensor` where an operation runs a kernel and
 * `tf.TensorInfo` inside a backend's kernel function. Inputs and attributes are type aliases rather
 * than interfaces because TensorFlow.js's `NamedTensorMap` and `NamedAttrMap` are index signatures,
 * which only aliases satisfy without a cast.
 */

/**
 * The density direction of the Real NVP masked affine coupling (`affineCouplingInverse`):
 * `s = c ⊙ a(r) ⊙ m̄`, `x = (y − t ⊙ m̄) ⊙ exp(−s)`, `log|det ∂x/∂y| = −Σ s` per row, a = tanh or the identity.
 */
export const AFFINE_COUPLING_INVERSE = 'FlowsAffineCouplingInverse';
/**
 * Inputs of {@link AFFINE_COUPLING_INVERSE}, all float32: `y`, `rawScale` (r, the scale network's
 * output) and `rawTranslation` (t) of shape `[batch, …event]`; `inverseMask` (m̄, 1 where the
 * coordinate is transformed) and `scaleFactor` (c, ones where the layer has none) of shape `[…event]`.
 */
export type AffineCouplingInverseInputs<T> = { y: T; rawScale: T; rawTranslation: T; inverseMask: T; scaleFactor: T };
/** Attributes of {@link AFFINE_COUPLING_INVERSE} and its gradient: whether a = tanh (else the identity). */
export type AffineCouplingInverseAttrs = { tanh: boolean };
/** Outputs of {@link AFFINE_COUPLING_INVERSE}: x `[batch, …event]` and the log-det `[batch]`. */
export type AffineCouplingInverseOutputs<T> = [x: T, logDet: T];

/**
 * The gradient of {@link AFFINE_COUPLING_INVERSE}, with g_x and g_l the incoming gradients of x and
 * of the log-det: `∂/∂y = g_x e^{−s}`, `∂/∂t = −g_x e^{−s} m̄`, `∂/∂r = −(g_x x + g_l) c m̄ a′(r)`,
 * `∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r)`. Attributes: {@link AffineCouplingInverseAttrs}.
 */
export const AFFINE_COUPLING_INVERSE_GRADIENT = 'FlowsAffineCouplingInverseGradient';
/**
 * Inputs of {@link AFFINE_COUPLING_INVERSE_GRADIENT}: those of the forward kernel, and `dx`
 * (`[batch, …event]`, the gradient of x) and `dl` (`[batch]`, the gradient of the log-det).
 */
export type AffineCouplingInverseGradientInputs<T> = AffineCouplingInverseInputs<T> & { dx: T; dl: T };
/** Outputs of {@link AFFINE_COUPLING_INVERSE_GRADIENT}: the gradients of y, rawTranslation, rawScale (`[batch, …event]`) and scaleFactor (`[…event]`), in that order. */
export type AffineCouplingInverseGradientOutputs<T> = [dy: T, dRawTranslation: T, dRawScale: T, dScaleFactor: T];

/**
 * One Adam moment (`adamMoment`): `β m + (1 − β) g` or `β v + (1 − β) g²`, g scaled by the clip factor
 * `min(1, clipNorm / √S)` (no clipping when clipNorm is 0). Output: the new moment, shaped as `moment`.
 */
export const ADAM_MOMENT = 'FlowsAdamMoment';
/** Inputs of {@link ADAM_MOMENT}, float32: `moment` and `gradient` (flat, one length), `sumOfSquares` (`[1]`, the gradient's Σ g², S). */
export type AdamMomentInputs<T> = { moment: T; gradient: T; sumOfSquares: T };
/** Attributes of {@link ADAM_MOMENT}: which moment, its β, and the global clip norm (0: none). */
export type AdamMomentAttrs = { which: 'first' | 'second'; beta: number; clipNorm: number };

/**
 * One variable's Adam update (`adamParameter`): `p · decay − stepSize · m_j / (√(v_j · c₂⁻¹) + ε)`,
 * j = offset + i. Output: the new values, shaped as `parameter`.
 */
export const ADAM_PARAMETER = 'FlowsAdamParameter';
/** Inputs of {@link ADAM_PARAMETER}, float32: the variable's `parameter` (any shape) and the flat `firstMoment` and `secondMoment` of every variable. */
export type AdamParameterInputs<T> = { parameter: T; firstMoment: T; secondMoment: T };
/** The numbers of one parameter update of Adam (see `adamParameter`): the attributes of {@link ADAM_PARAMETER}. */
export type AdamParameterStep = {
  /** Where the variable's values start in the flat moments. */
  offset: number;
  /** `learningRate / (1 − β₁ᵗ)`. */
  stepSize: number;
  /** `1 / (1 − β₂ᵗ)`. */
  inverseCorrection2: number;
  epsilon: number;
  /** `1 − learningRate · weightDecay` (decoupled weight decay; 1 without). */
  decay: number;
};

/**
 * The whole Adam update in one kernel (`adamUpdate`): for every variable i, with its gradient g_i and
 * its slice j of the flat moments, `m'_j = β₁ m_j + (1 − β₁) s g`, `v'_j = β₂ v_j + (1 − β₂) (s g)²`
 * and `p'_i = p_i · decay − stepSize · m'_j / (√(v'_j · c₂⁻¹) + ε)`, s the clip factor
 * `min(1, clipNorm / √Σ g²)` over all the gradients (1 when clipNorm is 0): {@link ADAM_MOMENT} twice
 * and {@link ADAM_PARAMETER} per variable, with each value read and written once.
 */
export const ADAM_UPDATE = 'FlowsAdamUpdate';
/**
 * Inputs of {@link ADAM_UPDATE}, float32: the flat `firstMoment` and `secondMoment` (`[total]`), and
 * `parameter{i}` with its `gradient{i}` (one shape, any) for i < count, in the moments' order.
 */
export type AdamUpdateInputs<T> = { firstMoment: T; secondMoment: T } & { [name: `${'parameter' | 'gradient'}${number}`]: T };
/** Attributes of {@link ADAM_UPDATE}: the number of variables, the βs, the clip norm (0: none), and the step's numbers as {@link AdamParameterStep} has them (without the offset). */
export type AdamUpdateAttrs = { count: number; beta1: number; beta2: number; clipNorm: number } & Omit<AdamParameterStep, 'offset'>;
/**
 * Outputs of {@link ADAM_UPDATE}: the new first and second moments, then each variable's new values,
 * shaped as its input. A backend may write them over their inputs where no other tensor references
 * that memory (the native kernel on wasm does, when every moment and parameter has one reference):
 * the outputs then share the inputs' data, which callers replace with them anyway.
 */
export type AdamUpdateOutputs<T> = [firstMoment: T, secondMoment: T, ...parameters: T[]];

/**
 * The filter gradient of a stride-1 `'same'` convolution with an odd k × k filter
 * (`convolutionFilterGradient`): `dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h+a, w+b, i] dz[n, h, w, o]`.
 * Output: `[k, k, C_in, C_out]`.
 */
export const CONV2D_FILTER_GRADIENT = 'FlowsConv2DFilterGradient';
/** Inputs of {@link CONV2D_FILTER_GRADIENT}, float32: `x` `[N, H, W, C_in]` (the convolution's input) and `dz` `[N, H, W, C_out]` (the gradient of its output). */
export type Conv2DFilterGradientInputs<T> = { x: T; dz: T };
/** Attributes of {@link CONV2D_FILTER_GRADIENT}: the filter's odd size k. */
export type Conv2DFilterGradientAttrs = { kernelSize: number };

/**
 * The whole gradient of a convolution layer `z = a(conv(x, W, stride 1, 'same') + b)` with an odd
 * k × k filter and a = ReLU or the identity (`convolutionBackward`), from the gradient dz of its
 * output: with g = dz ⊙ a′ (a′ = [z > 0] for ReLU), `dx = conv(g, W')` (W' the filter rotated by
 * 180° with its channels swapped), `dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h+a, w+b, i] g[n, h, w, o]`
 * and `db = Σ_{n,h,w} g`.
 */
export const CONV2D_BACKWARD = 'FlowsConv2DBackward';
/**
 * Inputs of {@link CONV2D_BACKWARD}, float32: `x` `[N, H, W, C_in]` (the layer's input), `filter`
 * `[k, k, C_in, C_out]`, `dz` and `output` `[N, H, W, C_out]` (the gradient of the layer's output,
 * and the output z itself, read where the activation is ReLU: pass any tensor of dz's shape, dz
 * say, for a linear layer).
 */
export type Conv2DBackwardInputs<T> = { x: T; filter: T; dz: T; output: T };
/** Attributes of {@link CONV2D_BACKWARD}: the layer's activation. */
export type Conv2DBackwardAttrs = { activation: 'linear' | 'relu' };
/** Outputs of {@link CONV2D_BACKWARD}: the gradients of x, of the filter and of the bias, shaped as they are. */
export type Conv2DBackwardOutputs<T> = [dx: T, dFilter: T, dBias: T];

/**
 * ActNorm's density direction (`actNormInverse`): `x = (y − b) ⊙ e^{−s}` with b and s per channel
 * (the last axis), broadcast over the others. Output: x, shaped as y.
 */
export const ACT_NORM_INVERSE = 'FlowsActNormInverse';
/** Inputs of {@link ACT_NORM_INVERSE}, float32: `y` `[…, C]`, `bias` (b) and `logScale` (s) `[C]`. */
export type ActNormInverseInputs<T> = { y: T; bias: T; logScale: T };
/** {@link ACT_NORM_INVERSE} and its gradient take no attributes. */
export type ActNormInverseAttrs = Record<string, never>;

/**
 * The gradient of {@link ACT_NORM_INVERSE} from g, the gradient of x: `∂/∂y = g ⊙ e^{−s}`,
 * `∂/∂b = −Σ g ⊙ e^{−s}`, `∂/∂s = −Σ g ⊙ (y − b) ⊙ e^{−s}` (sums over all axes but the last).
 */
export const ACT_NORM_INVERSE_GRADIENT = 'FlowsActNormInverseGradient';
/** Inputs of {@link ACT_NORM_INVERSE_GRADIENT}: those of the forward kernel, and `dx`, the gradient of x (y's shape). */
export type ActNormInverseGradientInputs<T> = ActNormInverseInputs<T> & { dx: T };
/** Outputs of {@link ACT_NORM_INVERSE_GRADIENT}: the gradients of y, of the bias and of the log-scale. */
export type ActNormInverseGradientOutputs<T> = [dy: T, dBias: T, dLogScale: T];

/**
 * The density direction of the Real NVP masked affine coupling together with its two conditioner
 * MLPs (`denseCouplingInverse`), fused: with K the kept coordinates (m̄ = 0), T the transformed ones
 * (m̄ = 1) and C the context's width,
 * `u = [y_K, context]`, `o_s = MLP_s(u)_T`, `o_t = MLP_t(u)_T` (hidden layers `relu(h W + b)`, the
 * last linear), `x_K = y_K`, `x_T = (y_T − o_t) ⊙ exp(−s)` with `s = c_T ⊙ a(o_s)`, and
 * `log|det ∂x/∂y| = −Σ s` per row: the same values as the masked input `[y ⊙ m, context]` through
 * both networks and {@link AFFINE_COUPLING_INVERSE}, whose terms off K and off T are zero.
 */
export const DENSE_COUPLING_INVERSE = 'FlowsDenseCouplingInverse';
/** The most layers a network of {@link DENSE_COUPLING_INVERSE} may have. */
export const DENSE_COUPLING_MAX_LAYERS = 16;
/**
 * The two networks' layers as inputs: `scaleWeight0`, `scaleBias0`, … `scaleWeight{L−1}`,
 * `scaleBias{L−1}` and `translationWeight0`, …; weight i `[in_i, out_i]`, bias i `[out_i]`, with
 * `in_0 = D + C` and `out_{L−1} = D` (D the event's size).
 */
export type DenseCouplingLayerInputs<T> = { [name: `${'scale' | 'translation'}${'Weight' | 'Bias'}${number}`]: T };
/**
 * Inputs of {@link DENSE_COUPLING_INVERSE}, float32: `y` `[batch, …event]`; `inverseMask` (m̄, 0 or 1
 * each) and `scaleFactor` (c, ones where the layer has none) of the event's shape; `context`
 * `[batch, C]` (C = 0 without one); and the layers ({@link DenseCouplingLayerInputs}).
 */
export type DenseCouplingInverseInputs<T> = { y: T; inverseMask: T; scaleFactor: T; context: T } & DenseCouplingLayerInputs<T>;
/** Attributes of {@link DENSE_COUPLING_INVERSE} and its gradient: a = tanh (else the identity), and each network's number of layers. */
export type DenseCouplingInverseAttrs = { tanh: boolean; scaleLayers: number; translationLayers: number };
/**
 * Outputs of {@link DENSE_COUPLING_INVERSE}: x `[batch, …event]`, the log-det `[batch]`, and what its
 * gradient reads back: the networks' input `u` `[batch, |K| + C]`, the scale network's output at T
 * `[batch, |T|]`, the hidden layers' activations `[batch, width]` (the scale network's first), then
 * each network's first layer's weights at the rows of u (`[|K| + C, out_0]`; at the columns of T as
 * well when it is the only layer) and, with more than one layer, its last layer's at the columns of
 * T (`[in_{L−1}, |T|]`): the copies the products read.
 */
export type DenseCouplingInverseOutputs<T> = [x: T, logDet: T, conditionerInput: T, scaleRaw: T, ...hidden: T[]];

/**
 * The gradient of {@link DENSE_COUPLING_INVERSE}: with g_x and g_l the incoming gradients of x and of
 * the log-det, the gradients of y, of c, of the context and of every weight and bias, as autodiff of
 * the unfused composition gives them (zero where the masked input or output makes a term vanish).
 * Attributes: {@link DenseCouplingInverseAttrs}.
 */
export const DENSE_COUPLING_INVERSE_GRADIENT = 'FlowsDenseCouplingInverseGradient';
/**
 * Inputs of {@link DENSE_COUPLING_INVERSE_GRADIENT}: `dx` (`[batch, …event]`) and `dl` (`[batch]`),
 * the forward kernel's `y`, `inverseMask`, `scaleFactor`, `context` and its outputs `x`,
 * `conditionerInput`, `scaleRaw`, `scaleHidden{i}` and `translationHidden{i}` (i < L − 1),
 * `scaleGathered{j}` and `translationGathered{j}` (the first layer's copy, then the last's), and the
 * networks' weights `scaleWeight{i}`, `translationWeight{i}`.
 */
export type DenseCouplingInverseGradientInputs<T> = {
  dx: T;
  dl: T;
  y: T;
  inverseMask: T;
  scaleFactor: T;
  context: T;
  x: T;
  conditionerInput: T;
  scaleRaw: T;
} & { [name: `${'scale' | 'translation'}${'Weight' | 'Hidden' | 'Gathered'}${number}`]: T };
/**
 * Outputs of {@link DENSE_COUPLING_INVERSE_GRADIENT}: the gradients of y, of the scale factor and of
 * the context, then of each layer's weight and bias, the scale network's first
 * (`dScaleWeight0, dScaleBias0, …, dTranslationWeight0, …`), each shaped as its input.
 */
export type DenseCouplingInverseGradientOutputs<T> = [dy: T, dScaleFactor: T, dContext: T, ...layers: T[]];

/** Every fused kernel by name: its inputs, attributes and outputs, for tensors of type `T`. */
export interface FlowsKernels<T> {
  [AFFINE_COUPLING_INVERSE]: { inputs: AffineCouplingInverseInputs<T>; attrs: AffineCouplingInverseAttrs; outputs: AffineCouplingInverseOutputs<T> };
  [AFFINE_COUPLING_INVERSE_GRADIENT]: {
    inputs: AffineCouplingInverseGradientInputs<T>;
    attrs: AffineCouplingInverseAttrs;
    outputs: AffineCouplingInverseGradientOutputs<T>;
  };
  [ADAM_MOMENT]: { inputs: AdamMomentInputs<T>; attrs: AdamMomentAttrs; outputs: T };
  [ADAM_PARAMETER]: { inputs: AdamParameterInputs<T>; attrs: AdamParameterStep; outputs: T };
  [ADAM_UPDATE]: { inputs: AdamUpdateInputs<T>; attrs: AdamUpdateAttrs; outputs: AdamUpdateOutputs<T> };
  [CONV2D_FILTER_GRADIENT]: { inputs: Conv2DFilterGradientInputs<T>; attrs: Conv2DFilterGradientAttrs; outputs: T };
  [CONV2D_BACKWARD]: { inputs: Conv2DBackwardInputs<T>; attrs: Conv2DBackwardAttrs; outputs: Conv2DBackwardOutputs<T> };
  [ACT_NORM_INVERSE]: { inputs: ActNormInverseInputs<T>; attrs: ActNormInverseAttrs; outputs: T };
  [ACT_NORM_INVERSE_GRADIENT]: { inputs: ActNormInverseGradientInputs<T>; attrs: ActNormInverseAttrs; outputs: ActNormInverseGradientOutputs<T> };
  [DENSE_COUPLING_INVERSE]: { inputs: DenseCouplingInverseInputs<T>; attrs: DenseCouplingInverseAttrs; outputs: DenseCouplingInverseOutputs<T> };
  [DENSE_COUPLING_INVERSE_GRADIENT]: {
    inputs: DenseCouplingInverseGradientInputs<T>;
    attrs: DenseCouplingInverseAttrs;
    outputs: DenseCouplingInverseGradientOutputs<T>;
  };
}

/** The name of a fused kernel. */
export type FlowsKernelName = keyof FlowsKernels<unknown>;
/** The inputs of the fused kernel N, as tensors of type T. */
export type FlowsKernelInputs<N extends FlowsKernelName, T> = FlowsKernels<T>[N]['inputs'];
/** The attributes of the fused kernel N. */
export type FlowsKernelAttrs<N extends FlowsKernelName> = FlowsKernels<unknown>[N]['attrs'];
/** What the fused kernel N returns: one tensor of type T, or a tuple of them. */
export type FlowsKernelOutputs<N extends FlowsKernelName, T> = FlowsKernels<T>[N]['outputs'];

/** Every fused kernel once: a record, so that a kernel added to {@link FlowsKernels} and not here fails to compile. */
const EVERY_KERNEL: Record<FlowsKernelName, true> = {
  [CONV2D_FILTER_GRADIENT]: true,
  [CONV2D_BACKWARD]: true,
  [ACT_NORM_INVERSE]: true,
  [ACT_NORM_INVERSE_GRADIENT]: true,
  [ADAM_MOMENT]: true,
  [ADAM_PARAMETER]: true,
  [ADAM_UPDATE]: true,
  [AFFINE_COUPLING_INVERSE]: true,
  [AFFINE_COUPLING_INVERSE_GRADIENT]: true,
  [DENSE_COUPLING_INVERSE]: true,
  [DENSE_COUPLING_INVERSE_GRADIENT]: true,
};
/** Every fused kernel's name: what a backend that claims the whole set must register. */
export const FLOWS_KERNEL_NAMES = Object.keys(EVERY_KERNEL) as readonly FlowsKernelName[];
