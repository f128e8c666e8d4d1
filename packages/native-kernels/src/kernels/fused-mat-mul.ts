import { nativeMatMul, type ProductAttrs, type ProductInputs } from './mat-mul.js';
import type { ReplacingKernel } from './native-kernel.js';

/** The wasm backend's `_FusedMatMul` (a dense layer: product, bias, activation), natively for no or ReLU activation: see {@link nativeMatMul}. */
export const fusedMatMul: ReplacingKernel<ProductInputs, ProductAttrs> = { kind: 'replaces', kernelName: '_FusedMatMul', run: nativeMatMul };
