import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon, NativeIsa } from './addon.js';
import { choosePath, installNativeKernels, nativeIsaPaths } from './install.js';

const addonPath = new URL('../native/build/Release/flows_blas.node', import.meta.url).pathname;
const built = existsSync(addonPath);
const skip = process.env.FLOWS_SKIP_NATIVE === '1' || (!built && process.env.FLOWS_REQUIRE_ALL !== '1');
if (skip) console.warn('skipped: native instruction-set paths: the addon is not built (pnpm --filter @flows/native-kernels build:native)');

/** A stand-in addon whose CPU runs only `runnable`, to see the refusal a CPU without AVX-512 gives. */
function addonRunning(runnable: NativeIsa[]): { addon: NativeAddon; chosen: string[] } {
  const chosen: string[] = [];
  const addon = {
    isaPaths: () => ({ built: ['baseline', 'avx2', 'avx512'] as NativeIsa[], runnable }),
    isa: (path?: string) => {
      if (path) chosen.push(path);
      return (path === 'auto' ? runnable[runnable.length - 1] : path) as NativeIsa;
    },
  };
  return { addon: addon as Partial<NativeAddon> as NativeAddon, chosen };
}

describe('choosing an instruction-set path', () => {
  it('refuses a path the CPU cannot run or the build lacks, naming the paths there are, and never hands it to the addon', () => {
    const { addon, chosen } = addonRunning(['baseline', 'avx2']);
    expect(() => choosePath(addon, 'avx512')).toThrow(/this CPU cannot run the 'avx512' path .* it runs baseline, avx2 \(or leave it unset/);
    expect(() => choosePath(addon, 'neon')).toThrow(/no 'neon' instruction-set path in this build .* it has baseline, avx2, avx512, or auto/);
    expect(() => choosePath(addon, 'AVX2')).toThrow(/no 'AVX2' instruction-set path/);
    expect(chosen).toEqual([]);
    expect(choosePath(addon, 'avx2')).toBe('avx2');
    expect(choosePath(addon, 'auto')).toBe('avx2');
    expect(choosePath(addon, '')).toBe('avx2');
    expect(chosen).toEqual(['avx2', 'auto', 'auto']);
  });
});

describe.skipIf(skip)('the addon’s instruction-set paths', () => {
  // The default is the environment's FLOWS_NATIVE_ISA: kept aside here, put back after.
  const outside = process.env.FLOWS_NATIVE_ISA;
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterEach(() => {
    if (outside === undefined) delete process.env.FLOWS_NATIVE_ISA;
    else process.env.FLOWS_NATIVE_ISA = outside;
    installNativeKernels({ isa: 'auto' });
  });

  it('runs the best path this CPU runs by default, another when forced by option or FLOWS_NATIVE_ISA, and refuses an unknown one', () => {
    delete process.env.FLOWS_NATIVE_ISA;
    const paths = nativeIsaPaths();
    expect(paths).not.toBeNull();
    const { built: inBuild, runnable } = paths as { built: NativeIsa[]; runnable: NativeIsa[] };
    expect(runnable[0]).toBe(inBuild[0]);
    expect(inBuild).toEqual(process.arch === 'x64' ? ['baseline', 'avx2', 'avx512'] : process.arch === 'arm64' ? ['neon'] : ['baseline']);
    expect(installNativeKernels({ threads: 1 }).isa).toBe(runnable[runnable.length - 1]);
    expect(installNativeKernels({ threads: 1, isa: runnable[0] }).isa).toBe(runnable[0]);
    process.env.FLOWS_NATIVE_ISA = runnable[0];
    expect(installNativeKernels({ threads: 1 }).isa).toBe(runnable[0]);
    process.env.FLOWS_NATIVE_ISA = 'sse9';
    expect(() => installNativeKernels({ threads: 1 })).toThrow(/no 'sse9' instruction-set path in this build/);
  });

  it.skipIf(process.arch !== 'x64')('computes every product with OpenBLAS off the avx512 path, whose own product needs AVX-512', () => {
    expect(installNativeKernels({ threads: 1, isa: 'baseline' }).products).toBe('openblas');
    expect(installNativeKernels({ threads: 1, isa: 'avx2' }).products).toBe('openblas');
  });
});

/**
 * The addon's code outside the paths' own loops must run on any x86-64 CPU: no VEX- or
 * EVEX-encoded instruction (AVX, AVX2, FMA, AVX-512) in any function but the avx2 and avx512
 * paths' (and the own AVX-512 product's, gemm-avx512.c, reached through the avx512 path alone).
 * A build with -march=native fails here.
 */
const objdump = (() => {
  try {
    execFileSync('objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!skip && process.arch === 'x64' && !objdump) console.warn('skipped: the baseline build check: objdump is not installed (binutils)');

describe.skipIf(skip || process.arch !== 'x64' || !objdump)('the x86-64 build', () => {
  it('keeps AVX, AVX2, FMA and AVX-512 instructions inside the avx2 and avx512 paths, and the paths hold them', () => {
    const listing = execFileSync('objdump', ['-d', '--no-show-raw-insn', addonPath], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const vectorFunctions = new Map<string, Set<string>>();
    let current = '';
    for (const line of listing.split('\n')) {
      const header = /^[0-9a-f]+ <(.+)>:$/.exec(line);
      if (header) current = header[1];
      else if (/%[yz]mm|%k[0-7]|\tv[a-z]/.test(line)) {
        const kind = /%zmm|%k[0-7]|%ymm(1[6-9]|2\d|3[01])\b/.test(line) ? 'evex' : 'vex';
        vectorFunctions.set(current, (vectorFunctions.get(current) ?? new Set()).add(kind));
      }
    }
    const ownProduct = /^(gemm_avx512|product_share|product_rows|micro_kernel|pack_a|pack_b|grow)(\.|$)/;
    const outside = [...vectorFunctions.keys()].filter((name) => !/_(avx2|avx512)(\.|$)/.test(name) && !ownProduct.test(name));
    expect(outside, 'functions of the baseline build with AVX instructions').toEqual([]);
    // The paths were compiled with their own flags: AVX2 code in the avx2 path, AVX-512 code in the avx512 path.
    expect(vectorFunctions.get('flows_unary_loop_avx2')).toEqual(new Set(['vex']));
    expect(vectorFunctions.get('flows_unary_loop_avx512')?.has('evex')).toBe(true);
    expect(vectorFunctions.has('flows_unary_loop_baseline')).toBe(false);
  });
});
