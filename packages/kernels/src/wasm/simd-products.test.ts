import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels, uninstallWasmKernels } from './own-wasm-kernels.js';
import { SIMD_KERNELS_SHARED_WASM, SIMD_KERNELS_WASM } from './simd-kernels-wasm.js';

/** Deterministic values in [-0.5, 0.5), the same on every backend. */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let x = seed * 7919 + 13;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = x / 2147483648 - 0.5;
  }
  return out;
}

interface ProductCase {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  activation: 'linear' | 'relu';
  bias: boolean;
}

/** The product on the active backend, as stored values. */
function product(c: ProductCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor(values(c.m * c.k, seed), c.transposeA ? [c.k, c.m] : [c.m, c.k]);
    const b = tf.tensor(values(c.k * c.n, seed + 1), c.transposeB ? [c.n, c.k] : [c.k, c.n]);
    const bias = c.bias ? tf.tensor(values(c.n, seed + 2), [c.n]) : undefined;
    return tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: c.activation }).dataSync() as Float32Array;
  });
}

/** Shapes that reach every tile (2 × 16, 2 × 4, 1 × 16, 1 × 4, single columns) and more than one chunk of k (256). */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 1, 2],
  [7, 13, 5],
  [33, 17, 65],
  [5, 600, 37],
  [64, 300, 48],
];
const CASES: ProductCase[] = SHAPES.flatMap(([m, k, n]) =>
  [false, true].flatMap((transposeA) =>
    [false, true].flatMap((transposeB) =>
      (['linear', 'relu'] as const).flatMap((activation) => [false, true].map((bias) => ({ m, k, n, transposeA, transposeB, activation, bias }))),
    ),
  ),
);

/** Largest |x − y| / (1 + |y|). */
function worst(x: Float32Array, y: Float32Array): number {
  expect(x.length).toBe(y.length);
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return w;
}

describe('the wasm backend’s own SIMD matrix products (runProduct)', () => {
  let references: Float32Array[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    references = CASES.map((c, i) => product(c, i));
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    uninstallWasmKernels();
    await tf.setBackend('cpu');
  });

  it('is what scripts/build-simd-kernels.mjs generates and assembles (node scripts/build-simd-kernels.mjs writes it)', async () => {
    // @ts-expect-error: the build script is plain JavaScript.
    const build = await import('../../scripts/build-simd-kernels.mjs');
    const wat = build.simdKernelsWat() as string;
    expect(readFileSync(new URL('./simd-kernels.wat', import.meta.url), 'utf8')).toBe(wat);
    const bytes = (await build.assembleSimdKernels(wat)) as { plain: Uint8Array; shared: Uint8Array };
    expect(Buffer.from(bytes.plain).toString('base64')).toBe(SIMD_KERNELS_WASM);
    expect(Buffer.from(bytes.shared).toString('base64')).toBe(SIMD_KERNELS_SHARED_WASM);
  });

  it('installs on the active wasm backend, on one thread where its heap is not shared', async () => {
    expect(await installWasmKernels({ threads: 4 })).toEqual({ installed: true, threads: 1 });
    // A second call reports the first one's products.
    expect(await installWasmKernels()).toEqual({ installed: true, threads: 1 });
  });

  it('agree with the cpu backend for every layout (A, B transposed or not), bias, ReLU, and every tile and chunk of k', async () => {
    await installWasmKernels();
    CASES.forEach((c, i) => {
      expect(worst(product(c, i), references[i]), JSON.stringify(c)).toBeLessThan(2e-6 * Math.sqrt(c.k) + 1e-7);
    });
  });

  it('agree with the stock kernels where those hold no bias or activation, batched and broadcast too', async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor(values(3 * 9 * 20, 1), [3, 9, 20]);
        const b = tf.tensor(values(20 * 18, 2), [1, 20, 18]);
        const c = tf.tensor(values(3 * 18 * 20, 3), [3, 18, 20]);
        // Batches broadcast the ways the stock kernel allows: across ranks, and dimension by dimension (declined here).
        const d = tf.tensor(values(2 * 3, 4), [2, 3]);
        const e = tf.tensor(values(3 * 4, 5), [1, 3, 4]);
        const f = tf.tensor(values(2 * 2 * 3, 6), [2, 1, 2, 3]);
        const g = tf.tensor(values(2 * 3 * 4, 7), [1, 2, 3, 4]);
        const h = tf.tensor(values(3 * 5 * 3, 8), [3, 5, 3]);
        const products = [
          tf.matMul(a, b),
          tf.matMul(a, c, false, true),
          tf.matMul(a, a, true, false),
          tf.matMul(d, e),
          tf.matMul(f, g),
          tf.matMul(e, h, true, true),
        ];
        return products.map((p) => [p.shape, p.dataSync()] as [number[], Float32Array]);
      });
    await installWasmKernels();
    const own = run();
    uninstallWasmKernels();
    const stock = run();
    own.forEach(([shape, values], i) => {
      expect(shape).toEqual(stock[i][0]);
      expect(worst(values, stock[i][1])).toBeLessThan(1e-5);
    });
  });

  it('leave what they do not compute to the stock kernels (PReLU), and uninstall back to them', async () => {
    await installWasmKernels();
    const prelu = tf.tidy(() =>
      tf.fused
        .matMul({ a: tf.tensor2d([1, -1], [1, 2]), b: tf.tensor2d([1, 0, 0, 1], [2, 2]), activation: 'prelu', preluActivationWeights: tf.tensor1d([0.5, 0.5]) })
        .arraySync(),
    );
    expect(prelu).toEqual([[1, -0.5]]);
    uninstallWasmKernels();
    expect(await installWasmKernels()).toEqual({ installed: true, threads: 1 });
  });

  it('give the gradients autodiff gives on cpu through every transposed product, and leak nothing', async () => {
    await installWasmKernels();
    const gradients = () =>
      tf.tidy(() => {
        const x = tf.tensor(values(12 * 30, 5), [12, 30]);
        const w1 = tf.tensor(values(30 * 20, 6), [30, 20]);
        const w2 = tf.tensor(values(20 * 7, 7), [20, 7]);
        const b1 = tf.tensor(values(20, 8), [20]);
        const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(tf.fused.matMul({ a: x, b: p, bias: r, activation: 'relu' }), q))) as tf.Scalar;
        return tf
          .grads(f)([w1, w2, b1])
          .map((g) => g.dataSync() as Float32Array);
      });
    const before = tf.memory().numTensors;
    const own = gradients();
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const reference = gradients();
    await tf.setBackend('wasm');
    own.forEach((g, i) => expect(worst(g, reference[i])).toBeLessThan(1e-4));
  });
});
