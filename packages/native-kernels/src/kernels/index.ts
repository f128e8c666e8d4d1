import { actNormInverse } from './act-norm-inverse.js';
import { actNormInverseGradient } from './act-norm-inverse-gradient.js';
import { adamMoment } from './adam-moment.js';
import { adamParameter } from './adam-parameter.js';
import { adamUpdate } from './adam-update.js';
import { affineCouplingInverse } from './affine-coupling-inverse.js';
import { affineCouplingInverseGradient } from './affine-coupling-inverse-gradient.js';
import { batchMatMul } from './batch-mat-mul.js';
import { conv2d } from './conv2d.js';
import { conv2dBackward } from './conv2d-backward.js';
import { conv2dFilterGradient } from './conv2d-filter-gradient.js';
import { denseCouplingInverse } from './dense-coupling-inverse.js';
import { denseCouplingInverseGradient } from './dense-coupling-inverse-gradient.js';
import { exp, log1p, softplus, tanh } from './elementwise.js';
import { fusedConv2d } from './fused-conv2d.js';
import { fusedMatMul } from './fused-mat-mul.js';
import { slice } from './slice.js';
import type { NativeKernel } from './native-kernel.js';

/**
 * The registration list: every wasm kernel of the package, in the order `installNativeKernels`
 * installs and lists them. A new kernel is one file in this folder and one line here.
 */

/** The matrix products, which `installNativeMatMul` installs alone. */
export const PRODUCT_KERNELS: readonly NativeKernel[] = [batchMatMul, fusedMatMul];

/** What `installNativeKernels` installs besides the products: the elementwise functions, the convolutions and `@flows/kernels`' fused kernels. */
export const OTHER_KERNELS: readonly NativeKernel[] = [
  exp,
  log1p,
  softplus,
  tanh,
  slice,
  conv2d,
  fusedConv2d,
  conv2dFilterGradient,
  conv2dBackward,
  actNormInverse,
  actNormInverseGradient,
  adamMoment,
  adamParameter,
  adamUpdate,
  affineCouplingInverse,
  affineCouplingInverseGradient,
  denseCouplingInverse,
  denseCouplingInverseGradient,
];

export { registerNativeKernel } from './register.js';
export type { FusedKernel, NativeKernel, ReplacingKernel, WasmKernelArguments } from './native-kernel.js';
