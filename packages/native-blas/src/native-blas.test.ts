import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installNativeMatMul } from './index.js';

// The addon is optional: scripts/test-all.mjs builds it when a compiler and OpenBLAS are present and
// sets FLOWS_SKIP_NATIVE=1 (with the reason printed) when it cannot.
const built = existsSync(new URL('../native/build/Release/flows_blas.node', import.meta.url));
const skip = process.env.FLOWS_SKIP_NATIVE === '1';

describe.skipIf(skip)('OpenBLAS matrix products on the wasm heap', () => {
  beforeAll(async () => {
    if (!built) throw new Error('the native addon is not built: run pnpm --filter @flows/native-blas build:native (needs gcc, Node headers, libopenblas-dev), or set FLOWS_SKIP_NATIVE=1');
    await tf.setBackend('wasm');
  });

  it('gives the stock kernels’ products for every transpose, bias, ReLU and batch, and leaks nothing', () => {
    const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
      { a: [37, 53], b: [53, 19], ta: false, tb: false },
      { a: [53, 37], b: [53, 19], ta: true, tb: false },
      { a: [37, 53], b: [19, 53], ta: false, tb: true },
      { a: [53, 37], b: [19, 53], ta: true, tb: true },
      { a: [3, 8, 5], b: [3, 5, 4], ta: false, tb: false },
      { a: [3, 8, 5], b: [5, 4], ta: false, tb: false },
    ];
    const operands = cases.map((c, i) => [tf.randomNormal(c.a, 0, 1, 'float32', i), tf.randomNormal(c.b, 0, 1, 'float32', 100 + i)]);
    const bias = tf.randomNormal([19], 0, 1, 'float32', 7) as tf.Tensor1D;
    const run = (): Float32Array[][] =>
      cases.map((c, i) => {
        const [a, b] = operands[i];
        const plain = tf.matMul(a, b, c.ta, c.tb);
        const values = [plain.dataSync().slice() as Float32Array];
        plain.dispose();
        if (a.rank === 2 && b.rank === 2) {
          const fused = native
            ? tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: c.ta, transposeB: c.tb, bias, activation: 'relu' })
            : // The reference is unfused: TF.js 4.22's own wasm _FusedMatMul is wrong with transposeA and a bias.
              tf.tidy(() => tf.relu(tf.add(tf.matMul(a, b, c.ta, c.tb), bias)));
          values.push(fused.dataSync().slice() as Float32Array);
          fused.dispose();
        }
        return values;
      });
    let native = false;
    const expected = run(); // the stock kernels, before the native ones are installed
    const status = installNativeMatMul({ threads: 2 });
    expect(status).toMatchObject({ installed: true });
    native = true;
    run(); // burn-in
    const before = tf.memory().numTensors;
    const actual = run();
    expect(tf.memory().numTensors).toBe(before);
    actual.forEach((values, i) =>
      values.forEach((v, j) => {
        const e = expected[i][j];
        let worst = 0;
        for (let q = 0; q < v.length; q++) worst = Math.max(worst, Math.abs(v[q] - e[q]));
        expect(worst, `case ${i}, output ${j}`).toBeLessThan(1e-4);
      }),
    );
  });
});
