import { createRequire } from 'node:module';

/**
 * The N-API addon's functions (`native/*.c`). Every operand is an element offset into the wasm
 * heap, passed as a Float32Array over the heap's whole buffer: the addon works in place, nothing is
 * copied. It checks that every operand lies inside the heap and throws a RangeError otherwise.
 */
export interface NativeAddon {
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
  /** A slice of a 4-byte tensor (`native/slice.c`): `plan` is `[rank, shape…, begin…, size…]`. */
  slice(heap: Float32Array, x: number, out: number, plan: Float64Array): void;
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
  /**
   * A stride-1 'same' convolution layer's gradients (`native/convolution.c`): dx (`-1`: not wanted),
   * dFilter and dBias from x, the filter, dz and (`-1` for a linear layer) the layer's ReLU output.
   */
  conv2dBackward(
    heap: Float32Array,
    ...operands: [
      x: number,
      filter: number,
      dz: number,
      output: number,
      dx: number,
      dFilter: number,
      dBias: number,
      n: number,
      h: number,
      w: number,
      cin: number,
      kh: number,
      kw: number,
      cout: number,
    ]
  ): void;
  /**
   * Whether stride-1 convolutions use the path's direct convolution (1) or im2col and OpenBLAS (0);
   * returns 1 where they do (set, the own products on, and the path has it). For tests and
   * before-and-after measurements.
   */
  directConvolutions(on?: number): number;
  /** ActNorm's density direction x = (y − b) e^{−s} per channel (`native/act-norm.c`), for `rows` rows of 1-256 channels. */
  actNormInverse(heap: Float32Array, ...operands: [y: number, bias: number, logScale: number, x: number, rows: number, channels: number]): void;
  /** Its gradient: ∂/∂y, ∂/∂b and ∂/∂s from dx. */
  actNormInverseGradient(
    heap: Float32Array,
    ...operands: [dx: number, y: number, bias: number, logScale: number, dy: number, dBias: number, dLogScale: number, rows: number, channels: number]
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
  /**
   * Both Adam moments and every variable's new values in one pass (`native/adam.c`): `plan` is
   * `[count, total, β₁, β₂, clipNorm, stepSize, c₂⁻¹, ε, decay, m, v, m', v']` and per variable
   * `[size, parameter, gradient, parameter']` (offsets into the heap).
   */
  adamUpdate(heap: Float32Array, plan: Float64Array): void;
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
  /**
   * The fused dense coupling and its gradient (`native/dense-coupling.c`): `plan` holds the shapes,
   * the layer counts and widths, then every operand's offset, as `src/kernels/dense-coupling-*.ts`
   * write it; the addon checks each against the heap and the mask's values against the count.
   */
  denseCouplingInverse(heap: Float32Array, plan: Float64Array): void;
  denseCouplingInverseGradient(heap: Float32Array, plan: Float64Array): void;
  setThreads(threads?: number): number;
  products(useOwn?: number): number;
  /**
   * With a path's name (`auto`: the best the CPU runs), makes that path's loops run from now on;
   * returns the path in use. Throws a RangeError for a path the build lacks or the CPU cannot run.
   */
  isa(path?: string): NativeIsa;
  /** The paths built into the addon, and those of them this CPU runs (baseline first). */
  isaPaths(): { built: NativeIsa[]; runnable: NativeIsa[] };
}

/**
 * The instruction-set paths of the addon's hot loops (`native/isa.h`): on x86-64 `baseline` (SSE2),
 * `avx2` (AVX2 and FMA) and `avx512` (AVX-512 F/BW/VL/DQ, and the own matrix product); on aarch64
 * `neon`; elsewhere `baseline`.
 */
export type NativeIsa = 'baseline' | 'avx2' | 'avx512' | 'neon';

/** Loads the built addon; throws where it is not built. */
export function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  return require('../native/build/Release/flows_blas.node') as NativeAddon;
}
