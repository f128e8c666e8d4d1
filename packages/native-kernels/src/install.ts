import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon, type NativeIsa } from './addon.js';
import { OTHER_KERNELS, PRODUCT_KERNELS, registerNativeKernel } from './kernels/index.js';

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
  /**
   * Which instruction set the addon's hot loops (elementwise functions, the coupling, Adam) and its
   * own product use: `auto` (default) the best this CPU runs, or a path by name to force it (tests
   * run each this way). A path the build lacks or the CPU cannot run is refused with an Error naming
   * the paths there are. Default: the environment's `FLOWS_NATIVE_ISA`, else `auto`. The own AVX-512
   * product runs on the `avx512` path only; the others compute every product with OpenBLAS.
   */
  isa?: 'auto' | NativeIsa;
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
  /** The instruction-set path of the addon's loops (see {@link NativeKernelOptions.isa}). */
  isa?: NativeIsa;
}

let addon: NativeAddon | null = null;
let productsInstalled = false;
let othersInstalled = false;

/**
 * Routes the `wasm` backend's matrix products (`BatchMatMul`, `_FusedMatMul` with no or ReLU
 * activation) to native code through a small N-API addon, working in place on the wasm heap: the
 * addon's own AVX-512 kernel where the CPU has AVX-512 (packed panels and a 12 × 32 register-blocked
 * micro-kernel after BLIS, bias and ReLU applied as the result is written, rows split between
 * `threads` threads), else OpenBLAS's `cblas_sgemm` (`products: 'openblas'` asks for it anyway).
 *
 * Optional and opt-in: build the addon first (`pnpm --filter @flows/native-kernels build:native`,
 * needs a C compiler, Node's headers and `libopenblas-dev`). Without it this returns
 * `{ installed: false, reason }` and TensorFlow.js keeps its own kernels. Call after
 * `tf.setBackend('wasm')`; products it does not handle (broadcast batches, other activations) fall
 * back to the original kernels.
 */
export function installNativeMatMul(options: NativeKernelOptions = {}): NativeMatMulStatus {
  if (tf.getBackend() !== 'wasm') return { installed: false, reason: `the active backend is '${tf.getBackend()}', not wasm` };
  if (!addon) {
    try {
      addon = loadAddon();
    } catch (error) {
      return {
        installed: false,
        reason: `the native addon is not built (${(error as Error).message.split('\n')[0]}); run: pnpm --filter @flows/native-kernels build:native`,
      };
    }
  }
  const isa = choosePath(addon, options.isa ?? process.env.FLOWS_NATIVE_ISA ?? 'auto');
  const threads = options.threads === undefined ? addon.setThreads() : addon.setThreads(options.threads);
  const wanted = options.products ?? (process.env.FLOWS_NATIVE_PRODUCTS === 'openblas' ? 'openblas' : 'auto');
  const products = addon.products(wanted === 'openblas' ? 0 : 1) ? 'avx512' : 'openblas';
  if (!productsInstalled) {
    for (const kernel of PRODUCT_KERNELS) {
      if (!registerNativeKernel(kernel, addon)) return { installed: false, reason: `the wasm backend has no ${kernel.kernelName} kernel to replace` };
    }
    productsInstalled = true;
  }
  return { installed: true, threads, kernels: PRODUCT_KERNELS.map((kernel) => kernel.kernelName), products, isa };
}

/** Makes the addon run the path `wanted` (`auto`: the best the CPU runs), or throws an Error naming what there is and how to choose. */
export function choosePath(native: NativeAddon, wanted: string): NativeIsa {
  if (wanted === '' || wanted === 'auto') return native.isa('auto');
  const { built, runnable } = native.isaPaths();
  if (!(built as string[]).includes(wanted))
    throw new Error(
      `@flows/native-kernels: no '${wanted}' instruction-set path in this build (FLOWS_NATIVE_ISA or the isa option); it has ${built.join(', ')}, or auto`,
    );
  if (!(runnable as string[]).includes(wanted))
    throw new Error(
      `@flows/native-kernels: this CPU cannot run the '${wanted}' path that FLOWS_NATIVE_ISA or the isa option asks for; it runs ${runnable.join(', ')} (or leave it unset: auto picks the best)`,
    );
  return native.isa(wanted);
}

/**
 * The instruction-set paths of the native addon: those built into it and those this CPU runs
 * (baseline first), or null where the addon is not built.
 */
export function nativeIsaPaths(): { built: NativeIsa[]; runnable: NativeIsa[] } | null {
  if (!addon) {
    try {
      addon = loadAddon();
    } catch {
      return null;
    }
  }
  return addon.isaPaths();
}

/**
 * {@link installNativeMatMul}, and also:
 *
 * - the wasm backend's `Exp`, `Log1p`, `Softplus` and `Tanh`, which it computes with scalar libm
 *   calls, one value at a time (bench/results.md), replaced by vectorized single-precision
 *   polynomials (Cephes' coefficients; relative error of a few ulp, and the special values ±∞, NaN,
 *   subnormal results kept);
 * - its `Conv2D` and `FusedConv2D` (NHWC, any stride, padding and dilation; no or ReLU activation),
 *   computed as im2col and one OpenBLAS product: the convolutional couplings' forward pass and the
 *   gradients `@flows/networks`' ConvNet builds from forward convolutions.
 *
 * - the kernels of `@flows/kernels`' operations `convolutionFilterGradient`, `adamMoment`,
 *   `adamParameter`, `adamUpdate`, `affineCouplingInverse` and `denseCouplingInverse` (with their
 *   gradients) for the wasm backend, split between the threads: the optimizer's passes over every
 *   parameter are memory-bound, the coupling's one pass per row replaces about ten wasm kernels
 *   forward and twenty backward, and the dense coupling is a whole layer with its two MLPs in one
 *   call each way.
 *
 * Gradients are unchanged: TensorFlow.js defines them through other kernels. The kernels are the
 * registration list of `src/kernels/index.ts`, one file each.
 */
export function installNativeKernels(options: NativeKernelOptions = {}): NativeMatMulStatus {
  const status = installNativeMatMul(options);
  if (!status.installed || !addon) return status;
  if (!othersInstalled) {
    for (const kernel of OTHER_KERNELS) registerNativeKernel(kernel, addon);
    othersInstalled = true;
  }
  const replaced = OTHER_KERNELS.map((kernel) => kernel.kernelName).filter((name) => tf.getKernel(name, 'wasm'));
  return { ...status, kernels: [...(status.kernels ?? []), ...replaced] };
}
