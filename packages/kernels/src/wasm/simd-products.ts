import * as tf from '@tensorflow/tfjs-core';
import type { OwnWasmKernels } from './heap-threads.js';
import { heapAddress, type WasmBackendHeap } from './wasm-heap.js';

/** Below this many multiply-adds a product runs on one thread: waking the helpers would cost more. */
const THREADED_WORK = 1 << 18;

/**
 * The wasm backend's matrix products (`BatchMatMul`, `_FusedMatMul` with no or ReLU activation,
 * either operand transposed), by simd-kernels.wat's `product` in place on the backend's heap, the
 * rows of C split between the own kernels' threads. Why own products: the stock kernels hand each
 * product to XNNPACK, which first copies and packs B into a new operator, every call, since a
 * training step's weights and activations are new tensors each step; on the benchmark model (784-D
 * Real NVP, batch 256) that was about a third of the products' time, all of it on one thread, and a
 * transposed operand took a slow path (so gradients transposed explicitly). These read A in place
 * and copy one band of B at a time into a thread's scratch. TensorFlow.js 4.22's `_FusedMatMul` on
 * wasm also answers wrongly with a transposed operand and a bias or ReLU (its values differ from the
 * cpu backend's by whole units); these agree with the cpu backend in every layout.
 *
 * Each C[i, j] is a float32 sum over k ascending (no fused multiply-add), plus the bias, then
 * ReLU: not XNNPACK's order, so values differ from the stock kernels' in the last bits.
 *
 * Returns `op(A) · op(B)` (+ bias) (then ReLU) for every batch, or null for what these products do
 * not handle (then the backend's own kernel runs): other activations, PReLU, a bias that is not one
 * row of N, batches broadcast across ranks, other dtypes, empty shapes.
 */
export function runProduct(
  inputs: Partial<tf._FusedMatMulInputs>,
  attrs: Partial<tf._FusedMatMulAttrs>,
  backend: WasmBackendHeap,
  kernels: OwnWasmKernels,
): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights) return null;
  const activation = attrs.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const transA = Boolean(attrs.transposeA);
  const transB = Boolean(attrs.transposeB);
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if ((transB ? b.shape[rb - 1] : b.shape[rb - 2]) !== k || m === 0 || n === 0 || k === 0) return null;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)) return null;
  // Batches: the same outer shape on both sides, or one side's a single matrix (all ones) that
  // every batch of the other meets; anything else broadcast is the stock kernel's.
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  const same = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!same && batchA !== 1 && batchB !== 1) return null;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = Math.max(batchA, batchB);
  if (outer.reduce((p, d) => p * d, 1) !== batch) return null;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const at = (t: tf.TensorInfo) => heapAddress(backend, t);
  const [pa, pb, pc] = [at(a), at(b), at(out)];
  const flags = (bias ? 1 : 0) | (activation === 'relu' ? 2 : 0);
  const pbias = bias ? at(bias) : 0;
  // Threads take rows in pairs: fewer rows than that for each would leave them waiting.
  const threads = kernels.threads && m * n * k >= THREADED_WORK && m >= 4 * (kernels.threads.helpers + 1) ? kernels.threads : null;
  for (let s = 0; s < batch; s++) {
    const args = [
      pa + (batchA === 1 ? 0 : s * m * k * 4),
      transA ? 1 : k,
      transA ? m : 1,
      pb + (batchB === 1 ? 0 : s * k * n * 4),
      transB ? 1 : n,
      transB ? k : 1,
      pc + s * m * n * 4,
      n,
      k,
      n,
    ];
    if (threads) threads.product(args, 0, m, pbias, flags);
    else kernels.exports.product(...args, 0, m, pbias, flags, kernels.scratch);
  }
  return out;
}
