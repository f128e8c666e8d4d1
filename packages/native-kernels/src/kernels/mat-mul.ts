import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapFloats, heapOffset } from './heap.js';
import type { WasmKernelArguments } from './native-kernel.js';

/** The inputs of both product kernels: `BatchMatMul`'s a and b, `_FusedMatMul`'s also a bias and PReLU weights. */
export type ProductInputs = Partial<tf._FusedMatMulInputs>;
/** The attributes of both: `BatchMatMul` has no activation (linear). */
export type ProductAttrs = Pick<tf._FusedMatMulAttrs, 'transposeA' | 'transposeB'> & Partial<Pick<tf._FusedMatMulAttrs, 'activation'>>;

/**
 * `op(A) op(B)` (+ bias) (then ReLU) for every batch, on the wasm heap: the addon's own AVX-512
 * product where the CPU has AVX-512 and the product suits it, else OpenBLAS's `cblas_sgemm`
 * (`native/products.c`). Null for what it does not handle (other activations, PReLU, broadcast
 * batches of different ranks, integer tensors): the stock kernel runs those.
 */
export function nativeMatMul({ inputs, backend, attrs }: WasmKernelArguments<ProductInputs, ProductAttrs>, addon: NativeAddon): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights) return null;
  const activation = attrs.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  if (bias && (bias.shape.length !== 1 || bias.dtype !== 'float32')) return null;
  const transA = Boolean(attrs.transposeA);
  const transB = Boolean(attrs.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  if (batchA !== batchB && ra !== rb) return null;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (bias && bias.shape[0] !== n) return null;
  const batch = Math.max(batchA, batchB);
  const outerShape = (batchA >= batchB ? a : b).shape.slice(0, -2);
  const out = backend.makeOutput([...outerShape, m, n], 'float32');
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
  addon.sgemm(
    heapFloats(backend),
    offset(a),
    offset(b),
    offset(out),
    m,
    n,
    k,
    transA ? 1 : 0,
    transB ? 1 : 0,
    bias ? offset(bias) : -1,
    activation === 'relu' ? 1 : 0,
    batch,
    batchA === 1 ? 0 : m * k,
    batchB === 1 ? 0 : k * n,
  );
  return out;
}
