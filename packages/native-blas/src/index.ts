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
  adamMoment(heap: Float32Array, moment: number, gradient: number, out: number, size: number, second: number, beta: number, scale: number): void;
  adamParameter(
    heap: Float32Array,
    parameter: number,
    firstMoment: number,
    secondMoment: number,
    out: number,
    size: number,
    offset: number,
    stepSize: number,
    inverseCorrection2: number,
    epsilon: number,
    decay: number,
  ): void;
  couplingInverse(
    heap: Float32Array,
    ...operands: [y: number, r: number, t: number, m: number, c: number, x: number, logDet: number, batch: number, size: number, tanh: number]
  ): void;
  couplingInverseGradient(
    heap: Float32Array,
    ...operands: [
      dx: number,
      dl: number,
      y: number,
      r: number,
      t: number,
      m: number,
      c: number,
      dy: number,
      dt: number,
      dr: number,
      dc: number,
      batch: number,
      size: number,
      tanh: number,
    ]
  ): void;
  setThreads(threads?: number): number;
  products(useOwn?: number): number;
}

/** Options of {@link installNativeMatMul} and {@link installNativeKernels}. */
export interface NativeKernelOptions {
  /** Threads of OpenBLAS and of the addon's own kernels (default: OpenBLAS's own default, the cores). */
  threads?: number;
  /**
   * Which code computes matrix products: `auto` (default) the addon's own AVX-512 kernel where the
   * CPU has AVX-512, else OpenBLAS; `openblas` always OpenBLAS. Default: the environment's
   * `FLOWS_NATIVE_PRODUCTS` (`openblas` or `auto`), else `auto`.
   */
  products?: 'auto' | 'openblas';
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
  /** What computes the matrix products: the addon's own AVX-512 kernel, or OpenBLAS. */
  products?: 'avx512' | 'openblas';
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

/** A tensor's place in the wasm heap, in floats. Read after makeOutput: its allocation may grow (and move) the heap. */
const heapOffset = (backend: WasmBackendInternals, t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
const elementCount = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);

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
/**
 * The two operations of Adam's update in `@flows/kernels` (its ADAM_MOMENT and ADAM_PARAMETER):
 * `adamMoment` (inputs `{ moment, gradient, sumOfSquares }`, attributes `{ which, beta, clipNorm }`)
 * and `adamParameter` (inputs `{ parameter, firstMoment, secondMoment }`, attributes
 * `{ offset, stepSize, inverseCorrection2, epsilon, decay }`), computed by threaded loops over the heap.
 */
const ADAM_MOMENT_KERNEL = 'FlowsAdamMoment';
const ADAM_PARAMETER_KERNEL = 'FlowsAdamParameter';
/**
 * The masked affine coupling's density direction of `@flows/kernels` (its AFFINE_COUPLING_INVERSE,
 * inputs `{ y, rawScale, rawTranslation, inverseMask, scaleFactor }`, attribute `{ tanh }`, outputs
 * x and the log-det) and its gradient kernel (AFFINE_COUPLING_INVERSE_GRADIENT).
 */
const COUPLING_KERNEL = 'FlowsAffineCouplingInverse';
const COUPLING_GRADIENT_KERNEL = 'FlowsAffineCouplingInverseGradient';
const PROJECT_KERNELS = [FILTER_GRADIENT_KERNEL, ADAM_MOMENT_KERNEL, ADAM_PARAMETER_KERNEL, COUPLING_KERNEL, COUPLING_GRADIENT_KERNEL];

function loadAddon(): NativeBlas {
  const require = createRequire(import.meta.url);
  return require('../native/build/Release/flows_blas.node') as NativeBlas;
}

/**
 * Routes the `wasm` backend's matrix products (`BatchMatMul`, `_FusedMatMul` with no or ReLU
 * activation) to native code through a small N-API addon, working in place on the wasm heap: the
 * addon's own AVX-512 kernel where the CPU has AVX-512 (packed panels and a 12 × 32 register-blocked
 * micro-kernel after BLIS, bias and ReLU applied as the result is written, rows split between
 * `threads` threads), else OpenBLAS's `cblas_sgemm` (`products: 'openblas'` asks for it anyway).
 *
 * Optional and opt-in: build the addon first (`pnpm --filter @flows/native-blas build:native`,
 * needs a C compiler, Node's headers and `libopenblas-dev`). Without it this returns
 * `{ installed: false, reason }` and TensorFlow.js keeps its own kernels. Call after
 * `tf.setBackend('wasm')`; products it does not handle (broadcast batches, other activations) fall
 * back to the original kernels.
 */
export function installNativeMatMul(options: NativeKernelOptions = {}): NativeMatMulStatus {
  if (tf.getBackend() !== 'wasm') return { installed: false, reason: `the active backend is '${tf.getBackend()}', not wasm` };
  if (!native) {
    try {
      native = loadAddon();
    } catch (error) {
      return {
        installed: false,
        reason: `the native addon is not built (${(error as Error).message.split('\n')[0]}); run: pnpm --filter @flows/native-blas build:native`,
      };
    }
  }
  const threads = options.threads === undefined ? native.setThreads() : native.setThreads(options.threads);
  const wanted = options.products ?? (process.env.FLOWS_NATIVE_PRODUCTS === 'openblas' ? 'openblas' : 'auto');
  const products = native.products(wanted === 'openblas' ? 0 : 1) ? 'avx512' : 'openblas';
  if (!installed) {
    for (const kernelName of MATMUL_KERNELS) {
      const original = tf.getKernel(kernelName, 'wasm');
      if (!original) return { installed: false, reason: `the wasm backend has no ${kernelName} kernel to replace` };
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ ...original, kernelFunc: (args) => nativeMatMul(args as never) ?? (original.kernelFunc(args) as tf.TensorInfo) });
    }
    installed = true;
  }
  return { installed: true, threads, kernels: [...MATMUL_KERNELS], products };
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
 * - the kernels of `@flows/kernels`' operations `convolutionFilterGradient`, `adamMoment`,
 *   `adamParameter` and `affineCouplingInverse` (with its gradient) for the wasm backend, as loops
 *   split between the threads: the optimizer's passes over every parameter are memory-bound, and
 *   the coupling's one pass per row replaces about ten wasm kernels forward and twenty backward.
 *
 * Gradients are unchanged: TensorFlow.js defines them through other kernels.
 */
export function installNativeKernels(options: NativeKernelOptions = {}): NativeMatMulStatus {
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
    if (!tf.getKernel(COUPLING_KERNEL, 'wasm'))
      tf.registerKernel({ kernelName: COUPLING_KERNEL, backendName: 'wasm', kernelFunc: (args) => nativeCouplingInverse(args as never) });
    if (!tf.getKernel(COUPLING_GRADIENT_KERNEL, 'wasm'))
      tf.registerKernel({ kernelName: COUPLING_GRADIENT_KERNEL, backendName: 'wasm', kernelFunc: (args) => nativeCouplingInverseGradient(args as never) });
    if (!tf.getKernel(ADAM_MOMENT_KERNEL, 'wasm'))
      tf.registerKernel({ kernelName: ADAM_MOMENT_KERNEL, backendName: 'wasm', kernelFunc: (args) => nativeAdamMoment(args as never) });
    if (!tf.getKernel(ADAM_PARAMETER_KERNEL, 'wasm'))
      tf.registerKernel({ kernelName: ADAM_PARAMETER_KERNEL, backendName: 'wasm', kernelFunc: (args) => nativeAdamParameter(args as never) });
    elementwiseInstalled = true;
  }
  const replaced = [...Object.keys(UNARY_KERNELS), ...CONVOLUTION_KERNELS, ...PROJECT_KERNELS].filter((name) => tf.getKernel(name, 'wasm'));
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
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
  native!.conv2dFilterGradient(new Float32Array(backend.wasm.HEAPU8.buffer), offset(x), offset(dz), offset(out), n, h, w, cin, kernelSize, kernelSize, cout);
  return out;
}

/** The coupling's operands: y-shaped [batch, …event] tensors and event-shaped mask and factor, else a RangeError. */
function couplingShapes(name: string, full: tf.TensorInfo[], event: tf.TensorInfo[]): { batch: number; size: number } {
  const shape = full[0].shape;
  const size = elementCount(event[0]);
  const batch = shape[0] ?? 0;
  const matches = (t: tf.TensorInfo, expected: readonly number[]) => t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (
    shape.length < 2 ||
    !full.every((t) => matches(t, shape)) ||
    !event.every((t) => matches(t, shape.slice(1))) ||
    [...full, ...event].some((t) => t.dtype !== 'float32')
  )
    throw new RangeError(
      `${name}: expected float32 [batch, …event] operands with event-shaped mask and factor, got ${[...full, ...event].map((t) => `[${t.shape}]`).join(', ')}`,
    );
  return { batch, size };
}

/** `affineCouplingInverse`: x = (y − t ⊙ m̄) ⊙ e^{−s} and −Σ s per row, s = c ⊙ a(r) ⊙ m̄. */
function nativeCouplingInverse({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo[] {
  const { y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs as Record<string, tf.TensorInfo>;
  const { batch, size } = couplingShapes(COUPLING_KERNEL, [y, rawScale, rawTranslation], [inverseMask, scaleFactor]);
  const x = backend.makeOutput([...y.shape], 'float32');
  const logDet = backend.makeOutput([batch], 'float32');
  if (batch * size === 0) return [x, logDet];
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
  native!.couplingInverse(
    new Float32Array(backend.wasm.HEAPU8.buffer),
    offset(y),
    offset(rawScale),
    offset(rawTranslation),
    offset(inverseMask),
    offset(scaleFactor),
    offset(x),
    offset(logDet),
    batch,
    size,
    attrs.tanh ? 1 : 0,
  );
  return [x, logDet];
}

/** The gradient kernel: ∂/∂y, ∂/∂t, ∂/∂r, ∂/∂c (see the op's formulas). */
function nativeCouplingInverseGradient({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo[] {
  const { dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs as Record<string, tf.TensorInfo>;
  const { batch, size } = couplingShapes(COUPLING_GRADIENT_KERNEL, [y, rawScale, rawTranslation, dx], [inverseMask, scaleFactor]);
  if (dl.shape.length !== 1 || dl.shape[0] !== batch || dl.dtype !== 'float32')
    throw new RangeError(`${COUPLING_GRADIENT_KERNEL}: the log-det's gradient must be float32 [${batch}], got [${dl.shape}]`);
  const outputs = [y, rawTranslation, rawScale, scaleFactor].map((t) => backend.makeOutput([...t.shape], 'float32'));
  if (batch * size === 0) {
    new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, outputs[3]) * 4, size).fill(0);
    return outputs;
  }
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
  native!.couplingInverseGradient(
    new Float32Array(backend.wasm.HEAPU8.buffer),
    offset(dx),
    offset(dl),
    offset(y),
    offset(rawScale),
    offset(rawTranslation),
    offset(inverseMask),
    offset(scaleFactor),
    offset(outputs[0]),
    offset(outputs[1]),
    offset(outputs[2]),
    offset(outputs[3]),
    batch,
    size,
    attrs.tanh ? 1 : 0,
  );
  return outputs;
}

/** `adamMoment`: `β m + (1 − β) (s g)` or `β v + (1 − β) (s g)²`, s the clip factor `min(1, clipNorm / √S)` (1 when clipNorm is 0). */
function nativeAdamMoment({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo {
  const { moment, gradient, sumOfSquares } = inputs as { moment: tf.TensorInfo; gradient: tf.TensorInfo; sumOfSquares: tf.TensorInfo };
  const { which, beta, clipNorm } = attrs as { which: 'first' | 'second'; beta: number; clipNorm: number };
  const size = elementCount(moment);
  if (elementCount(gradient) !== size || [moment, gradient, sumOfSquares].some((t) => t.dtype !== 'float32'))
    throw new RangeError(`${ADAM_MOMENT_KERNEL}: expected float32 moment and gradient of one size, got [${moment.shape}] and [${gradient.shape}]`);
  const out = backend.makeOutput([...moment.shape], 'float32');
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  // The clip factor in float32, as the reference composition computes it.
  const scale =
    clipNorm > 0 ? Math.fround(Math.min(1, Math.fround(clipNorm / Math.max(Math.fround(Math.sqrt(heap[heapOffset(backend, sumOfSquares)])), 1e-12)))) : 1;
  native!.adamMoment(heap, heapOffset(backend, moment), heapOffset(backend, gradient), heapOffset(backend, out), size, which === 'second' ? 1 : 0, beta, scale);
  return out;
}

/** `adamParameter`: `p · decay − stepSize · m_j / (√(v_j · c₂⁻¹) + ε)`, j from the parameter's offset in the flat moments. */
function nativeAdamParameter({ inputs, backend, attrs }: WasmKernelArguments): tf.TensorInfo {
  const { parameter, firstMoment, secondMoment } = inputs as { parameter: tf.TensorInfo; firstMoment: tf.TensorInfo; secondMoment: tf.TensorInfo };
  const step = attrs as { offset: number; stepSize: number; inverseCorrection2: number; epsilon: number; decay: number };
  const size = elementCount(parameter);
  const total = elementCount(firstMoment);
  if (
    elementCount(secondMoment) !== total ||
    step.offset < 0 ||
    step.offset + size > total ||
    [parameter, firstMoment, secondMoment].some((t) => t.dtype !== 'float32')
  )
    throw new RangeError(`${ADAM_PARAMETER_KERNEL}: a float32 parameter of ${size} values at offset ${step.offset} does not fit moments of ${total}`);
  const out = backend.makeOutput([...parameter.shape], 'float32');
  native!.adamParameter(
    new Float32Array(backend.wasm.HEAPU8.buffer),
    heapOffset(backend, parameter),
    heapOffset(backend, firstMoment),
    heapOffset(backend, secondMoment),
    heapOffset(backend, out),
    size,
    step.offset,
    step.stepSize,
    step.inverseCorrection2,
    step.epsilon,
    step.decay,
  );
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
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
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
  const size = elementCount(x);
  if (size === 0) return out;
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
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
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
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
