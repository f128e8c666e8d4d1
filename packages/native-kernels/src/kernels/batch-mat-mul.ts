import { nativeMatMul, type ProductAttrs, type ProductInputs } from './mat-mul.js';
import type { ReplacingKernel } from './native-kernel.js';

/** The wasm backend's `BatchMatMul` (`tf.matMul`), natively: see {@link nativeMatMul}. */
export const batchMatMul: ReplacingKernel<ProductInputs, ProductAttrs> = { kind: 'replaces', kernelName: 'BatchMatMul', run: nativeMatMul };
