import * as tf from '@tensorflow/tfjs-core';
// Gradients for the gradient checks (in a project they come with @flows/bijectors).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACT_NORM_INVERSE,
  ACT_NORM_INVERSE_GRADIENT,
  actNormInverse,
  ADAM_MOMENT,
  ADAM_PARAMETER,
  adamMoment,
  adamParameter,
  AFFINE_COUPLING_INVERSE,
  AFFINE_COUPLING_INVERSE_GRADIENT,
  affineCouplingInverse,
  CONV2D_BACKWARD,
  CONV2D_FILTER_GRADIENT,
  convolutionBackward,
  convolutionFilterGradient,
  referenceActNormInverse,
  referenceAdamMoment,
  referenceAdamParameter,
  referenceAffineCouplingInverse,
  referenceConvolutionBackward,
  referenceConvolutionFilterGradient,
} from '@flows/kernels';
import { loadAddon } from './addon.js';
import { installNativeKernels, installNativeMatMul, type NativeIsa } from './index.js';
import { built, paths, skip } from './native-test-paths.js';

describe.skipIf(skip)('native matrix products on the wasm heap (the own AVX-512 kernel and OpenBLAS)', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [37, 53], b: [53, 19], ta: false, tb: false },
    { a: [53, 37], b: [53, 19], ta: true, tb: false },
    { a: [37, 53], b: [19, 53], ta: false, tb: true },
    { a: [53, 37], b: [19, 53], ta: true, tb: true },
    { a: [3, 8, 5], b: [3, 5, 4], ta: false, tb: false },
    { a: [3, 8, 5], b: [5, 4], ta: false, tb: false },
    // The own AVX-512 kernel's edges (it takes products of at least 32 columns): one row, rows and
    // columns that fill no whole 12 × 32 block, every transpose.
    { a: [1, 40], b: [40, 33], ta: false, tb: false },
    { a: [37, 53], b: [53, 45], ta: false, tb: false },
    { a: [53, 37], b: [53, 45], ta: true, tb: false },
    { a: [37, 53], b: [45, 53], ta: false, tb: true },
    { a: [53, 37], b: [45, 53], ta: true, tb: true },
    { a: [2, 13, 17], b: [2, 17, 64], ta: false, tb: false },
    // Several depth blocks (700 = 3 × 234), column blocks (530 = 512 + 18) and threads' shares of rows.
    { a: [300, 700], b: [700, 530], ta: false, tb: false },
    { a: [700, 300], b: [530, 700], ta: true, tb: true },
  ];
  let operands: tf.Tensor[][];
  let biases: Map<number, tf.Tensor1D>;
  let native = false;
  let expected: Float32Array[][];
  const run = (): Float32Array[][] =>
    cases.map((c, i) => {
      const [a, b] = operands[i];
      const plain = tf.matMul(a, b, c.ta, c.tb);
      const values = [plain.dataSync().slice() as Float32Array];
      plain.dispose();
      if (a.rank === 2 && b.rank === 2) {
        const bias = biases.get(c.tb ? c.b[0] : c.b[1]) as tf.Tensor1D;
        const fused = native
          ? tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: c.ta, transposeB: c.tb, bias, activation: 'relu' })
          : // The reference is unfused: TF.js 4.22's own wasm _FusedMatMul is wrong with transposeA and a bias.
            tf.tidy(() => tf.relu(tf.add(tf.matMul(a, b, c.ta, c.tb), bias)));
        values.push(fused.dataSync().slice() as Float32Array);
        fused.dispose();
      }
      return values;
    });

  beforeAll(async () => {
    if (!built)
      throw new Error(
        'the native addon is not built: run pnpm --filter @flows/native-kernels build:native (needs gcc, Node headers, libopenblas-dev), or set FLOWS_SKIP_NATIVE=1',
      );
    await tf.setBackend('wasm');
    operands = cases.map((c, i) => [tf.randomNormal(c.a, 0, 1, 'float32', i), tf.randomNormal(c.b, 0, 1, 'float32', 100 + i)]);
    biases = new Map([19, 33, 45, 530].map((n) => [n, tf.randomNormal([n], 0, 1, 'float32', 7) as tf.Tensor1D]));
    expected = run(); // the stock kernels, before the native ones are installed
  });

  it.each(paths.flatMap((isa) => (['auto', 'openblas'] as const).map((products) => [products, isa] as const)))(
    'give the stock kernels’ products for every transpose, bias, ReLU and batch, and leak nothing (products: %s, path %s)',
    (products, isa) => {
      const status = installNativeMatMul({ threads: 2, products, isa });
      expect(status).toMatchObject({ installed: true, isa });
      if (products === 'openblas') expect(status.products).toBe('openblas');
      // The own AVX-512 product belongs to the avx512 path: the others compute every product with OpenBLAS.
      expect(status.products).toBe(products === 'auto' && isa === 'avx512' ? 'avx512' : 'openblas');
      native = true;
      run(); // burn-in
      const before = tf.memory().numTensors;
      const actual = run();
      expect(tf.memory().numTensors).toBe(before);
      actual.forEach((values, i) =>
        values.forEach((v, j) => {
          const e = expected[i][j];
          let worst = 0;
          // Sums of 700 products of normal values reach about 26, with float32 rounding of a few 1e-5 in both: relative to 1 + |value|.
          for (let q = 0; q < v.length; q++) worst = Math.max(worst, Math.abs(v[q] - e[q]) / (1 + Math.abs(e[q])));
          expect(worst, `case ${i}, output ${j}`).toBeLessThan(1e-4);
        }),
      );
      installNativeMatMul({ products: 'auto', isa: 'auto' });
    },
  );
});

describe.skipIf(skip)('vectorized elementwise kernels on the wasm heap', () => {
  beforeAll(async () => {
    if (!built) throw new Error('the native addon is not built: run pnpm --filter @flows/native-kernels build:native');
    await tf.setBackend('wasm');
  });

  // Inputs across the whole float32 range: special values, the edges of exp's range, tiny values
  // where log1p and tanh lose precision if computed naively, and a dense sweep in between.
  const special = [
    0,
    -0,
    1e-30,
    -1e-30,
    1e-8,
    -1e-8,
    1e-4,
    0.5,
    0.6249,
    0.6251,
    -0.6251,
    1,
    -1,
    9,
    -9,
    20,
    -20,
    44,
    88.7,
    88.8,
    -87.3,
    -103.9,
    -104.1,
    1e30,
    -1e30,
    Infinity,
    -Infinity,
    NaN,
    -0.999999,
    -1,
  ];
  const sweep = Array.from({ length: 20001 }, (_, i) => -100 + i * 0.01);
  const inputs = Float32Array.from([...special, ...sweep]);
  const references: Record<string, (x: number) => number> = {
    Exp: Math.exp,
    Log1p: Math.log1p,
    Softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    Tanh: Math.tanh,
  };
  const apply = (name: string, x: tf.Tensor) =>
    name === 'Exp' ? tf.exp(x) : name === 'Log1p' ? tf.log1p(x) : name === 'Softplus' ? tf.softplus(x) : tf.tanh(x);

  it.each(paths)('match float64 references to a few ulp, keep ±∞, NaN and subnormal results, and leak nothing (path %s)', (isa) => {
    const status = installNativeKernels({ threads: 1, isa });
    expect(status.installed).toBe(true);
    expect(status.isa).toBe(isa);
    expect(status.kernels).toEqual(expect.arrayContaining(['Exp', 'Log1p', 'Softplus', 'Tanh']));
    const x = tf.tensor1d(inputs);
    for (const name of Object.keys(references)) {
      apply(name, x).dispose(); // burn-in
      const before = tf.memory().numTensors;
      const y = apply(name, x);
      const values = y.dataSync();
      y.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
      let worst = 0;
      for (let i = 0; i < inputs.length; i++) {
        const expected = Math.fround(references[name](inputs[i]));
        const actual = values[i];
        if (!Number.isFinite(expected) || expected === 0) {
          expect(Object.is(actual, expected) || (expected === 0 && actual === 0), `${name}(${inputs[i]}) = ${actual}, expected ${expected}`).toBe(true);
          continue;
        }
        // Relative error, in float32 ulps of the expected value (subnormals: absolute, in the smallest ulp).
        const ulp = Math.max(Math.abs(expected) * 2 ** -23, 2 ** -149);
        worst = Math.max(worst, Math.abs(actual - expected) / ulp);
      }
      expect(worst, name).toBeLessThan(4);
    }
    x.dispose();
  });

  it.each(paths)('leave gradients as TensorFlow.js defines them (path %s)', (isa) => {
    expect(installNativeKernels({ threads: 1, isa }).isa).toBe(isa);
    const x = tf.tensor1d([-3, -0.5, 0.1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.add(tf.exp(v), tf.softplus(v)), tf.tanh(v))))(x);
    const expected = [-3, -0.5, 0.1, 2].map((v) => Math.exp(v) + 1 / (1 + Math.exp(-v)) + 1 - Math.tanh(v) ** 2);
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([x, g]);
  });
});

describe.skipIf(skip)('OpenBLAS convolutions on the wasm heap', () => {
  beforeAll(async () => {
    if (!built) throw new Error('the native addon is not built: run pnpm --filter @flows/native-kernels build:native');
  });

  it.each(paths)(
    'give the cpu backend’s Conv2D and FusedConv2D for every padding, stride, dilation and kernel size, and leak nothing (path %s)',
    async (isa) => {
      // [x shape, filter shape, stride, pad, dilation, fused bias + ReLU]
      const cases: [number[], number[], number, 'same' | 'valid' | number, number, boolean][] = [
        [[4, 14, 14, 4], [3, 3, 4, 32], 1, 'same', 1, true], // a ConvNet layer
        [[24, 14, 14, 8], [3, 3, 8, 16], 1, 'same', 1, true], // 4 704 pixels: shared between two threads
        [[4, 14, 14, 32], [3, 3, 32, 8], 1, 'same', 1, false], // its last layer
        [[32, 16, 16, 4], [14, 14, 4, 8], 1, 'valid', 1, false], // a filter gradient: the batch as the filter's input channels
        [[3, 9, 11, 5], [3, 3, 5, 6], 2, 'same', 1, true],
        [[3, 9, 11, 5], [5, 3, 5, 6], 2, 'valid', 1, false],
        [[2, 10, 10, 3], [3, 3, 3, 4], 1, 'same', 2, true],
        [[2, 10, 10, 3], [3, 3, 3, 4], 1, 1, 1, false],
        [[5, 7, 7, 16], [1, 1, 16, 24], 1, 'valid', 1, true], // 1 × 1: no patches
      ];
      const operands = cases.map(
        ([x, f], i) =>
          [
            tf.randomNormal(x as [number, number, number, number], 0, 1, 'float32', 200 + i) as tf.Tensor4D,
            tf.randomNormal(f as [number, number, number, number], 0, 0.5, 'float32', 300 + i) as tf.Tensor4D,
            tf.randomNormal([f[3]], 0, 1, 'float32', 400 + i) as tf.Tensor1D,
          ] as const,
      );
      const run = () =>
        cases.map(([, , stride, pad, dilation, fused], i) => {
          const [x, filter, bias] = operands[i];
          const y = fused
            ? tf.fused.conv2d({ x, filter, bias, strides: stride, pad, dilations: dilation, activation: 'relu' })
            : tf.conv2d(x, filter, stride, pad, 'NHWC', dilation);
          const values = y.dataSync().slice() as Float32Array;
          y.dispose();
          return values;
        });
      await tf.setBackend('cpu');
      const expected = run();
      await tf.setBackend('wasm');
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toEqual(expect.arrayContaining(['Conv2D', 'FusedConv2D']));
      run(); // burn-in
      const before = tf.memory().numTensors;
      const actual = run();
      expect(tf.memory().numTensors).toBe(before);
      actual.forEach((values, i) => {
        expect(values.length, `case ${i}`).toBe(expected[i].length);
        let worst = 0;
        for (let q = 0; q < values.length; q++) worst = Math.max(worst, Math.abs(values[q] - expected[i][q]) / (1 + Math.abs(expected[i][q])));
        expect(worst, `case ${i}`).toBeLessThan(1e-4);
      });
      tf.dispose(operands.flat());
    },
  );

  it.each(paths)(
    'compute @flows/kernels’ convolution filter gradient as its reference composition does, for odd filters of 1, 3 and 5 (path %s)',
    async (isa) => {
      await tf.setBackend('wasm');
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toContain(CONV2D_FILTER_GRADIENT);
      for (const [shape, cout, k] of [
        [[8, 14, 14, 4], 32, 3],
        [[24, 14, 14, 8], 16, 3], // 4 704 pixels: two threads' sums added
        [[3, 9, 7, 5], 6, 5],
        [[4, 6, 6, 16], 8, 1],
      ] as const) {
        const x = tf.randomNormal([...shape], 0, 1, 'float32', 11) as tf.Tensor4D;
        const dz = tf.randomNormal([shape[0], shape[1], shape[2], cout], 0, 1, 'float32', 12) as tf.Tensor4D;
        const reference = referenceConvolutionFilterGradient(x, dz, k);
        const before = tf.memory().numTensors;
        const native = convolutionFilterGradient(x, dz, k);
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(native.shape).toEqual([k, k, shape[3], cout]);
        const [a, b] = [native.dataSync(), reference.dataSync()];
        let worst = 0;
        for (let q = 0; q < a.length; q++) worst = Math.max(worst, Math.abs(a[q] - b[q]) / (1 + Math.abs(b[q])));
        expect(worst, `filter ${k}, input [${shape}]`).toBeLessThan(1e-4);
        tf.dispose([x, dz, reference, native]);
      }
    },
  );
});

/** Float32 values of a shape, the same on every backend (a sine, so no two neighbours are alike). */
function values(shape: number[], seed: number, scale = 1): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: count }, (_, i) => scale * Math.sin(seed * 7.3 + i * 0.61 + (i % 7) * 0.17));
}

/** The largest difference between a and b relative to 1 + |b|. */
function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let q = 0; q < a.length; q++) worst = Math.max(worst, Math.abs(a[q] - b[q]) / (1 + Math.abs(b[q])));
  return worst;
}

describe.skipIf(skip)('direct stride-1 convolutions and a layer’s whole gradient on the wasm heap', () => {
  // [x shape, filter size, output channels, padding, ReLU]: input and output channel counts 1, 3, 4,
  // 8, 12, 16, 32, 33 and 64 reach every kernel of the avx512 path (12 × 32 and 24 × 16 blocks, the
  // dot products for at most 8 outputs, the filter gradient's two forms) and their edge blocks;
  // batch 1 runs on one thread, the others split their images between two.
  const cases: [number[], number, number, 'same' | 'valid', boolean][] = [
    [[1, 7, 7, 1], 3, 4, 'same', true],
    [[5, 7, 7, 4], 3, 32, 'same', true], // a ConvNet's first layer
    [[5, 7, 7, 32], 3, 4, 'same', false], // its last
    [[4, 14, 14, 32], 3, 32, 'same', true], // its hidden layer
    [[3, 7, 7, 32], 3, 8, 'same', false],
    [[3, 6, 5, 33], 3, 33, 'same', true],
    [[2, 5, 5, 64], 5, 64, 'same', false],
    [[2, 9, 9, 8], 1, 12, 'valid', true],
    [[3, 7, 7, 16], 5, 3, 'same', false],
    [[2, 8, 6, 32], 3, 1, 'valid', false],
    [[2, 6, 7, 8], 3, 16, 'valid', true],
  ];
  const addon = skip ? null : loadAddon();

  it.each(paths)(
    'give the cpu backend’s Conv2D and FusedConv2D for channel counts 1-64, filters 1, 3 and 5, one and several images, by Winograd, direct or by im2col (path %s)',
    async (isa) => {
      const run = () =>
        cases.map(([shape, k, cout, pad, relu], i) =>
          tf.tidy(() => {
            const x = tf.tensor4d(values(shape, i), shape as [number, number, number, number]);
            const filter = tf.tensor4d(values([k, k, shape[3], cout], 50 + i, 0.3), [k, k, shape[3], cout]);
            const bias = tf.tensor1d(values([cout], 90 + i));
            const y = relu ? tf.fused.conv2d({ x, filter, bias, strides: 1, pad, activation: 'relu' }) : tf.conv2d(x, filter, 1, pad);
            return y.dataSync().slice() as Float32Array;
          }),
        );
      await tf.setBackend('cpu');
      const expected = run();
      await tf.setBackend('wasm');
      expect(installNativeKernels({ threads: 2, isa }).isa).toBe(isa);
      for (const mode of [2, 1, 0]) {
        // The direct convolutions (2: with Winograd's for the 3 × 3 ones of 16 channels and more, 1:
        // without) belong to the avx512 path; elsewhere (and switched off) im2col runs.
        expect(addon?.directConvolutions(mode)).toBe(isa === 'avx512' ? mode : 0);
        run(); // burn-in
        const before = tf.memory().numTensors;
        const actual = run();
        expect(tf.memory().numTensors).toBe(before);
        actual.forEach((v, i) => expect(worstDifference(v, expected[i]), `case ${i}, mode ${mode}`).toBeLessThan(1e-5));
      }
      addon?.directConvolutions(2);
    },
  );

  it.each(paths)(
    'compute @flows/kernels’ convolutionBackward as its reference composition on the cpu backend does, linear and ReLU, by Winograd, direct or by im2col (path %s)',
    async (isa) => {
      const gradients = () =>
        cases
          .filter(([, , , pad]) => pad === 'same')
          .map(([shape, k, cout, , relu], i) =>
            tf.tidy(() => {
              const [n, h, w, cin] = shape;
              const x = tf.tensor4d(values(shape, i), [n, h, w, cin]);
              const filter = tf.tensor4d(values([k, k, cin, cout], 50 + i, 0.3), [k, k, cin, cout]);
              const dz = tf.tensor4d(values([n, h, w, cout], 70 + i), [n, h, w, cout]);
              // A ReLU layer's output: about half of it zero, where dz must not pass.
              const output = tf.relu(tf.tensor4d(values([n, h, w, cout], 30 + i), [n, h, w, cout]));
              const activation = relu ? 'relu' : 'linear';
              const reference = tf.getBackend() === 'cpu';
              const result = (reference ? referenceConvolutionBackward : convolutionBackward)(x, filter, dz, output, activation);
              return result.map((t) => t.dataSync().slice() as Float32Array);
            }),
          );
      await tf.setBackend('cpu');
      const expected = gradients();
      await tf.setBackend('wasm');
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toContain(CONV2D_BACKWARD);
      for (const mode of [2, 1, 0]) {
        addon?.directConvolutions(mode);
        gradients(); // burn-in
        const before = tf.memory().numTensors;
        const actual = gradients();
        expect(tf.memory().numTensors).toBe(before);
        actual.forEach((outputs, i) =>
          // Sums of up to 1 600 terms (5 × 5 × 64) in float32 on both sides: relative to 1 + |value|.
          outputs.forEach((v, j) =>
            expect(worstDifference(v, expected[i][j]), `case ${i}, gradient ${['dx', 'dW', 'db'][j]}, mode ${mode}`).toBeLessThan(1e-4),
          ),
        );
      }
      addon?.directConvolutions(2);
    },
  );

  it.skipIf(!paths.includes('avx512'))(
    'bound Winograd’s rounding error against float64 sums: within 3 times the direct sums’ and 1e-6 of the sums of |terms|',
    async () => {
      await tf.setBackend('wasm');
      expect(installNativeKernels({ threads: 2, isa: 'avx512' }).isa).toBe('avx512');
      // The multi-scale flow's hidden layers (14 × 14 and 7 × 7, 32 channels), one of 64 and odd sizes.
      for (const [n, h, w, cin, cout] of [
        [3, 14, 14, 32, 32],
        [4, 7, 7, 32, 32],
        [2, 9, 5, 64, 48],
      ]) {
        const xs = values([n, h, w, cin], 5, 2);
        const fs = values([3, 3, cin, cout], 6, 0.2);
        // float64 sums, and the sums of the terms' magnitudes, the scale of any float32 rounding.
        const exact = new Float64Array(n * h * w * cout);
        const scale = new Float64Array(n * h * w * cout);
        for (let b = 0; b < n; b++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++)
              for (let i = 0; i < 3; i++)
                for (let j = 0; j < 3; j++) {
                  const [yy, xx] = [y + i - 1, x + j - 1];
                  if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                  for (let c = 0; c < cin; c++) {
                    const v = xs[((b * h + yy) * w + xx) * cin + c];
                    for (let o = 0; o < cout; o++) {
                      const term = v * fs[((i * 3 + j) * cin + c) * cout + o];
                      exact[((b * h + y) * w + x) * cout + o] += term;
                      scale[((b * h + y) * w + x) * cout + o] += Math.abs(term);
                    }
                  }
                }
        const error = (mode: number) => {
          addon?.directConvolutions(mode);
          const out = tf.tidy(() => tf.conv2d(tf.tensor4d(xs, [n, h, w, cin]), tf.tensor4d(fs, [3, 3, cin, cout]), 1, 'same').dataSync());
          let worst = 0;
          for (let q = 0; q < out.length; q++) worst = Math.max(worst, Math.abs(out[q] - exact[q]) / scale[q]);
          return worst;
        };
        const [winograd, direct] = [error(2), error(1)];
        addon?.directConvolutions(2);
        expect(winograd, `[${n}, ${h}, ${w}, ${cin}] → ${cout}: Winograd ${winograd}, direct ${direct}`).toBeLessThan(Math.max(3 * direct, 1e-7));
        expect(winograd).toBeLessThan(1e-6);
      }
    },
  );
});

describe.skipIf(skip)('Slice of 4-byte tensors on the wasm heap', () => {
  it.each(paths)('gives the cpu backend’s slices of float32 and int32 tensors of rank 1-6, and leaks nothing (path %s)', async (isa) => {
    // [shape, begin, size]: a multi-scale flow's factoring out (half the channels), inner runs of
    // one to twenty values, contiguous slices (the backend's own copy), an empty one, rank 1 and 6.
    const cases: [number[], number[], number[]][] = [
      [
        [16, 14, 14, 4],
        [0, 0, 0, 2],
        [16, 14, 14, 2],
      ],
      [
        [16, 14, 14, 4],
        [0, 0, 0, 0],
        [16, 14, 14, 2],
      ],
      [
        [5, 6, 7],
        [1, 2, 3],
        [3, 4, 1],
      ],
      [
        [3, 40],
        [1, 5],
        [2, 20],
      ],
      [
        [4, 9],
        [1, 0],
        [2, 9],
      ],
      [
        [4, 9],
        [1, 3],
        [2, 0],
      ],
      [[30], [7], [11]],
      [
        [2, 3, 2, 3, 2, 4],
        [1, 1, 0, 1, 1, 1],
        [1, 2, 2, 2, 1, 3],
      ],
    ];
    const run = () =>
      cases.flatMap(([shape, begin, size], i) =>
        (['float32', 'int32'] as const).map((dtype) =>
          tf.tidy(() => {
            const count = shape.reduce((a, b) => a * b, 1);
            const x = tf.tensor(
              Float32Array.from({ length: count }, (_, k) => (dtype === 'int32' ? k - 7 * i : Math.sin(k + i))),
              shape,
              dtype,
            );
            const y = tf.slice(x, begin, size);
            return { shape: y.shape, values: Array.from(y.dataSync()) };
          }),
        ),
      );
    await tf.setBackend('cpu');
    const expected = run();
    await tf.setBackend('wasm');
    const status = installNativeKernels({ threads: 2, isa });
    expect(status.isa).toBe(isa);
    expect(status.kernels).toContain('Slice');
    run(); // burn-in
    const before = tf.memory().numTensors;
    const actual = run();
    expect(tf.memory().numTensors).toBe(before);
    expect(actual).toEqual(expected);
  });
});

describe.skipIf(skip)('ActNorm’s density direction as a native kernel on the wasm heap', () => {
  it.each(paths)('computes actNormInverse and its gradient as the reference composition and its autodiff do, on one and two threads (path %s)', async (isa) => {
    await tf.setBackend('wasm');
    const status = installNativeKernels({ threads: 2, isa });
    expect(status.isa).toBe(isa);
    expect(status.kernels).toEqual(expect.arrayContaining([ACT_NORM_INVERSE, ACT_NORM_INVERSE_GRADIENT]));
    // 50 176 and 56 448 values: split between two threads (from 2^15 on); the others on one.
    for (const shape of [
      [64, 14, 14, 4],
      [9, 7, 7, 128],
      [3, 5, 8],
      [6, 33],
      [4, 1],
    ]) {
      const channels = shape[shape.length - 1];
      const y = tf.tensor(values(shape, 1), shape);
      const bias = tf.tensor1d(values([channels], 2));
      const logScale = tf.tensor1d(values([channels], 3, 0.7));
      const g = tf.tensor(values(shape, 4), shape);
      const before = tf.memory().numTensors;
      const x = actNormInverse(y, bias, logScale);
      expect(tf.memory().numTensors).toBe(before + 1);
      const xReference = referenceActNormInverse(y, bias, logScale);
      expect(worstDifference(x.dataSync(), xReference.dataSync()), `x, [${shape}]`).toBeLessThan(1e-6);
      const loss = (op: typeof actNormInverse) => (a: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(op(a, b, s), g));
      const gradients = tf.grads(loss(actNormInverse))([y, bias, logScale]);
      const reference = tf.grads(loss(referenceActNormInverse))([y, bias, logScale]);
      // ∂/∂b and ∂/∂s sum up to 50 176 terms: relative to the largest value.
      gradients.forEach((t, i) => expect(largestRelativeError(t, reference[i], 1), `gradient ${i}, [${shape}]`).toBeLessThan(1e-5));
      tf.dispose([y, bias, logScale, g, x, xReference, ...gradients, ...reference]);
      expect(tf.memory().numTensors).toBe(before - 4);
    }
  });
});

/**
 * The largest difference between a and b relative to b's largest value (at least `floor`): a moment
 * near zero is a difference of two larger terms, and ∂/∂c sums 256 rows whose terms partly cancel.
 */
function largestRelativeError(a: tf.Tensor, b: tf.Tensor, floor = 0): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let worst = 0;
  let largest = floor;
  for (let q = 0; q < x.length; q++) {
    worst = Math.max(worst, Math.abs(x[q] - y[q]));
    largest = Math.max(largest, Math.abs(y[q]));
  }
  return worst / largest;
}

describe.skipIf(skip)('threaded Adam kernels on the wasm heap', () => {
  it.each(paths)(
    'compute @flows/kernels’ adamMoment and adamParameter as their reference compositions do, with and without clipping, in one and several threads (path %s)',
    async (isa) => {
      await tf.setBackend('wasm');
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toEqual(expect.arrayContaining([ADAM_MOMENT, ADAM_PARAMETER]));
      // 300 000 values: split between the two threads (from 2^17 on); 1 000: one thread.
      for (const size of [300_000, 1_000]) {
        const moment = tf.randomUniform([size], 0, 0.1, 'float32', 1) as tf.Tensor1D;
        const gradient = tf.randomNormal([size], 0, 1, 'float32', 2) as tf.Tensor1D;
        const squares = tf.sum(tf.square(gradient)).reshape([1]) as tf.Tensor1D;
        // β = 0.999 as well: 1 − β rounded from float32 β (instead of once, as the reference's scalar) is 1.3e-5 off there.
        for (const which of ['first', 'second'] as const)
          for (const beta of [0.9, 0.999])
            for (const clipNorm of [0, 3]) {
              const before = tf.memory().numTensors;
              const native = adamMoment(moment, gradient, squares, which, beta, clipNorm);
              expect(tf.memory().numTensors).toBe(before + 1);
              const reference = referenceAdamMoment(moment, gradient, squares, which, beta, clipNorm);
              expect(largestRelativeError(native, reference), `${which}, β ${beta}, clip ${clipNorm}, ${size}`).toBeLessThan(1e-6);
              tf.dispose([native, reference]);
            }
        const second = tf.randomUniform([size], 0, 0.01, 'float32', 3) as tf.Tensor1D;
        const parameter = tf.randomNormal([size / 4 / 10, 10], 0, 1, 'float32', 4);
        const step = { offset: size / 2, stepSize: 1e-3, inverseCorrection2: 1.5, epsilon: 1e-7, decay: 0.999 };
        const native = adamParameter(parameter, moment, second, step);
        const reference = referenceAdamParameter(parameter, moment, second, step);
        expect(native.shape).toEqual(parameter.shape);
        expect(largestRelativeError(native, reference)).toBeLessThan(1e-6);
        // The update moved the parameter: a kernel that returned its input would fail here.
        expect(largestRelativeError(native, parameter)).toBeGreaterThan(1e-4);
        expect(() => adamParameter(parameter, moment, second, { ...step, offset: size - 1 })).toThrow(/does not fit/);
        tf.dispose([moment, gradient, squares, second, parameter, native, reference]);
      }
    },
  );
});

describe.skipIf(skip)('the masked affine coupling as a native kernel on the wasm heap', () => {
  it.each<[boolean, number[], string, NativeIsa]>(
    paths.flatMap((isa) => [
      [true, [256, 784], 'flat events, two threads', isa],
      [false, [3, 5], 'one thread', isa],
      [true, [40, 14, 14, 2], 'image-shaped events', isa],
    ]),
  )(
    'computes affineCouplingInverse and its gradient as the reference composition and its autodiff do (tanh %s, %j: %s, path %s)',
    async (tanh, shape, _, isa) => {
      await tf.setBackend('wasm');
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toEqual(expect.arrayContaining([AFFINE_COUPLING_INVERSE, AFFINE_COUPLING_INVERSE_GRADIENT]));
      const event = shape.slice(1);
      const y = tf.randomNormal([...shape], 0, 1, 'float32', 1);
      const r = tf.randomNormal([...shape], 0, 2, 'float32', 2);
      const t = tf.randomNormal([...shape], 0, 1, 'float32', 3);
      const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(event, 0, 1, 'float32', 4), 0.5), 'float32'));
      const factor = tf.randomUniform(event, 0.5, 1.5, 'float32', 5);
      // Weights for the loss, so that the gradients of x and of the log-det are not uniform.
      const weights = tf.randomNormal([...shape], 0, 1, 'float32', 6);
      const loss = (op: typeof affineCouplingInverse) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => {
        const [x, logDet] = op(a, b, c, e, mask, tanh);
        return tf.add(tf.sum(tf.mul(tf.square(x), weights)), tf.sum(tf.mul(logDet, tf.range(0, shape[0]))));
      };
      const before = tf.memory().numTensors;
      const [x, logDet] = affineCouplingInverse(y, r, t, factor, mask, tanh);
      expect(tf.memory().numTensors).toBe(before + 2);
      const [xReference, logDetReference] = referenceAffineCouplingInverse(y, r, t, factor, mask, tanh);

      expect(largestRelativeError(x, xReference, 1)).toBeLessThan(1e-5);
      expect(largestRelativeError(logDet, logDetReference, 1)).toBeLessThan(1e-5);
      const gradients = tf.grads(loss(affineCouplingInverse))([y, r, t, factor]);
      const reference = tf.grads(loss(referenceAffineCouplingInverse))([y, r, t, factor]);
      gradients.forEach((g, k) => expect(largestRelativeError(g, reference[k], 1), `gradient ${k}`).toBeLessThan(1e-5));
      tf.dispose([y, r, t, mask, factor, weights, x, logDet, xReference, logDetReference, ...gradients, ...reference]);
    },
  );
});
