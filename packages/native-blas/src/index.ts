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
  conv2d(
    heap: Float32Array,
    x: number,
    filter: number,
    bias: number,
    out: number,
    ...shape: [
      n: number,
      h: number,
      w: number,
      cin: number,
      kh: number,
      kw: number,
      cout: number,
      padTop: number,
      padLeft: number,
      outH: number,
      outW: number,
      strideH: number,
      strideW: number,
      dilationH: number,
      dilationW: number,
      relu: number,
    ]
  ): void;
  conv2dFilterGradient(
    heap: Float32Array,
    x: number,
    dz: number,
    out: number,
    n: number,
    h: number,
    w: number,
    cin: number,
    kh: number,
    kw: number,
    cout: number,
  ): void;
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

/** What TensorFlow.js passes a wasm kernel function. */
interface WasmKernelArguments {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: WasmBackendInternals;
  attrs: Record<string, unknown>;
}

let native: NativeBlas | null = null;
let installed = false;
let elementwiseInstalled = false;

/** The elementwise kernels replaced by {@link installNativeKernels}, with the addon's function codes. */
const UNARY_KERNELS: Record<string, number> = { Exp: 0, Log1p: 1, Softplus: 2, Tanh: 3 };
const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'];
const CONVOLUTION_KERNELS = ['Conv2D', 'FusedConv2D'];
/**
 * The filter gradient of a stride-1 'same' convolution, the operation `convolutionFilterGradient` of
 * `@flows/kernels` (its CONV2D_FILTER_GRADIENT): inputs `{ x, dz }`, attribute `{ kernelSize }`.
 * The wasm backend has no kernel of its own for it.
 */
const FILTER_GRADIENT_KERNEL = 'FlowsConv2DFilterGradient';

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
 * {@link installNativeMatMul}, and also:
 *
 * - the wasm backend's `Exp`, `Log1p`, `Softplus` and `Tanh`, which it computes with scalar libm
 *   calls (40-100 M values/s on the benchmark machine), replaced by vectorized single-precision
 *   polynomials (Cephes' coefficients; relative error of a few ulp, and the special values ±∞, NaN,
 *   subnormal results kept);
 * - its `Conv2D` and `FusedConv2D` (NHWC, any stride, padding and dilation; no or ReLU activation),
 *   computed as im2col and one OpenBLAS product: the convolutional couplings' forward pass and the
 *   gradients `@flows/networks`' ConvNet builds from forward convolutions.
 *
 * Gradients are unchanged: TensorFlow.js defines them through other kernels.
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
    for (const kernelName of CONVOLUTION_KERNELS) {
      const original = tf.getKernel(kernelName, 'wasm');
      if (!original) continue;
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ ...original, kernelFunc: (args) => nativeConv2D(args as never) ?? (original.kernelFunc(args) as tf.TensorInfo) });
    }
    if (!tf.getKernel(FILTER_GRADIENT_KERNEL, 'wasm'))
      tf.registerKernel({ kernelName: FILTER_GRADIENT_KERNEL, backendName: 'wasm', kernelFunc: (args) => nativeFilterGradient(args as never) });
    elementwiseInstalled = true;
  }
  const replaced = [...Object.keys(UNARY_KERNELS), ...CONVOLUTION_KERNELS, FILTER_GRADIENT_KERNEL].filter((name) => tf.getKernel(name, 'wasm'));
  return { ...status, kernels: [...MATMUL_KERNELS, ...replaced] };
}

/** The filter gradient `[k, k, C_in, C_out]` of a stride-1 'same' convolution: the patches of x times dz, by OpenBLAS. */
function nativeFilterGradient({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo {
  const { x, dz } = inputs as { x: tf.TensorInfo; dz: tf.TensorInfo };
  const kernelSize = attrs.kernelSize as number;
  const [n, h, w, cin] = x.shape;
  const cout = dz.shape[3];
  if (x.dtype !== 'float32' || dz.dtype !== 'float32' || x.shape.length !== 4 || dz.shape.length !== 4 || kernelSize % 2 !== 1)
    throw new RangeError(
      `${FILTER_GRADIENT_KERNEL}: expected float32 [N, H, W, C] tensors and an odd filter size, got ${x.shape} and ${dz.shape}, ${kernelSize}`,
    );
  if (dz.shape[0] !== n || dz.shape[1] !== h || dz.shape[2] !== w)
    throw new RangeError(`${FILTER_GRADIENT_KERNEL}: dz [${dz.shape}] does not match x [${x.shape}]`);
  const out = backend.makeOutput([kernelSize, kernelSize, cin, cout], 'float32');
  if (n * h * w === 0) return out;
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  native!.conv2dFilterGradient(new Float32Array(backend.wasm.HEAPU8.buffer), offset(x), offset(dz), offset(out), n, h, w, cin, kernelSize, kernelSize, cout);
  return out;
}

/** `Conv2D` / `FusedConv2D` by im2col and sgemm, or null for what it does not handle (then the stock kernel runs). */
function nativeConv2D({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = inputs;
  if (!x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32' || preluActivationWeights) return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return null;
  const out = backend.makeOutput([...info.outShape], 'float32');
  if (info.outShape.some((d) => d === 0)) return out;
  // Offsets are read after makeOutput: its allocation may grow (and move) the heap.
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  native!.conv2d(
    new Float32Array(backend.wasm.HEAPU8.buffer),
    offset(x),
    offset(filter),
    bias ? offset(bias) : -1,
    offset(out),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    activation === 'relu' ? 1 : 0,
  );
  return out;
}

function nativeUnary(op: number, { inputs, backend }: WasmKernelArguments): tf.TensorInfo | null {
  const { x } = inputs;
  if (x?.dtype !== 'float32') return null;
  const out = backend.makeOutput([...x.shape], 'float32');
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (size === 0) return out;
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  native!.unary(new Float32Array(backend.wasm.HEAPU8.buffer), op, offset(x), offset(out), size);
  return out;
}

function nativeMatMul({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo | null {
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
