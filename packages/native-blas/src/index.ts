import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

interface NativeBlas {
  sgemm(
    heap: Float32Array,
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    bias: number,
    relu: number,
    batch: number,
    aStride: number,
    bStride: number,
  ): void;
  unary(heap: Float32Array, op: number, input: number, output: number, size: number): void;
  setThreads(threads?: number): number;
}

/** What {@link installNativeMatMul} did. */
export interface NativeMatMulStatus {
  installed: boolean;
  /** Why not, when it did not (the addon is not built, the backend is not wasm…). */
  reason?: string;
  /** OpenBLAS threads in use. */
  threads?: number;
  /** The wasm kernels now computed natively. */
  kernels?: string[];
}

interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  wasm: { HEAPU8: Uint8Array };
}

let native: NativeBlas | null = null;
let installed = false;
let elementwiseInstalled = false;

/** The elementwise kernels replaced by {@link installNativeKernels}, with the addon's function codes. */
const UNARY_KERNELS: Record<string, number> = { Exp: 0, Log1p: 1, Softplus: 2, Tanh: 3 };
const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'];

function loadAddon(): NativeBlas {
  const require = createRequire(import.meta.url);
  return require('../native/build/Release/flows_blas.node') as NativeBlas;
}

/**
 * Routes the `wasm` backend's matrix products (`BatchMatMul`, `_FusedMatMul` with no or ReLU
 * activation) to OpenBLAS through a small N-API addon, working in place on the wasm heap.
 *
 * Optional and opt-in: build the addon first (`pnpm --filter @flows/native-blas build:native`,
 * needs a C compiler, Node's headers and `libopenblas-dev`). Without it this returns
 * `{ installed: false, reason }` and TensorFlow.js keeps its own kernels. Call after
 * `tf.setBackend('wasm')`; products it does not handle (broadcast batches, other activations) fall
 * back to the original kernels.
 */
export function installNativeMatMul(options: { threads?: number } = {}): NativeMatMulStatus {
  if (tf.getBackend() !== 'wasm') return { installed: false, reason: `the active backend is '${tf.getBackend()}', not wasm` };
  if (installed && native)
    return { installed: true, threads: options.threads === undefined ? native.setThreads() : native.setThreads(options.threads), kernels: [...MATMUL_KERNELS] };
  try {
    native = loadAddon();
  } catch (error) {
    return {
      installed: false,
      reason: `the native addon is not built (${(error as Error).message.split('\n')[0]}); run: pnpm --filter @flows/native-blas build:native`,
    };
  }
  const threads = options.threads === undefined ? native.setThreads() : native.setThreads(options.threads);
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(kernelName, 'wasm');
    if (!original) return { installed: false, reason: `the wasm backend has no ${kernelName} kernel to replace` };
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: (args) => nativeMatMul(args as never) ?? (original.kernelFunc(args) as tf.TensorInfo) });
  }
  installed = true;
  return { installed: true, threads, kernels: [...MATMUL_KERNELS] };
}

/**
 * {@link installNativeMatMul}, and also the wasm backend's `Exp`, `Log1p`, `Softplus` and `Tanh`,
 * which it computes with scalar libm calls (40-100 M values/s on the benchmark machine), replaced by
 * vectorized single-precision polynomials (Cephes' coefficients; relative error of a few ulp, and
 * the special values ±∞, NaN, subnormal results kept). Gradients are unchanged: TensorFlow.js
 * defines them through other kernels.
 */
export function installNativeKernels(options: { threads?: number } = {}): NativeMatMulStatus {
  const status = installNativeMatMul(options);
  if (!status.installed) return status;
  if (!elementwiseInstalled) {
    for (const [kernelName, op] of Object.entries(UNARY_KERNELS)) {
      const original = tf.getKernel(kernelName, 'wasm');
      if (!original) continue;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ ...original, kernelFunc: (args) => nativeUnary(op, args as never) ?? (original.kernelFunc(args) as tf.TensorInfo) });
    }
    elementwiseInstalled = true;
  }
  return { ...status, kernels: [...MATMUL_KERNELS, ...Object.keys(UNARY_KERNELS).filter((name) => tf.getKernel(name, 'wasm'))] };
}

function nativeUnary(
  op: number,
  { inputs, backend }: { inputs: Record<string, tf.TensorInfo | undefined>; backend: WasmBackendInternals },
): tf.TensorInfo | null {
  const { x } = inputs;
  if (x?.dtype !== 'float32') return null;
  const out = backend.makeOutput([...x.shape], 'float32');
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (size === 0) return out;
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  native!.unary(new Float32Array(backend.wasm.HEAPU8.buffer), op, offset(x), offset(out), size);
  return out;
}

function nativeMatMul({
  inputs,
  backend,
  attrs,
}: {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: WasmBackendInternals;
  attrs: Record<string, unknown>;
}): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights) return null;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
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
  // Offsets are read after makeOutput: its allocation may grow (and move) the heap.
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  native!.sgemm(
    heap,
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
