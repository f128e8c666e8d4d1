import { exactTanh } from '@flows/codec';
import { Random } from '@flows/core';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { assembleExactConv } from '../scripts/build-exact-conv.mjs';
import { EXACT_CONV_WASM } from './exact-conv-wasm.js';
import { type ExactConvNetwork, evaluateConvExactly, useWasmConvolution } from './exact-network.js';

/**
 * The plain reference, the formula as written: out[y, x, o] = b_o + Σ over taps (i, j) ascending, then
 * channels c ascending, of in[y + i − p, x + j − p, c] · F[i, j, c, o], a zero input skipped; ReLU between layers.
 */
function reference(network: ExactConvNetwork, input: Float64Array, rows: number, height: number, width: number): Float64Array {
  // In float32, every product, sum and activation rounded to float32 (the input too).
  const round = network.float32 ? Math.fround : (v: number) => v;
  const activate = network.activation === 'tanh' ? (v: number) => round(exactTanh(v)) : (v: number) => Math.max(v, 0);
  const { channels, filters, biases, kernelSize: k } = network;
  const pad = (k - 1) / 2;
  let current = input.map(round);
  for (let layer = 0; layer < filters.length; layer++) {
    const [fanIn, fanOut] = [channels[layer], channels[layer + 1]];
    const out = new Float64Array(rows * height * width * fanOut);
    for (let r = 0; r < rows; r++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let o = 0; o < fanOut; o++) {
            let sum = biases[layer][o];
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) {
                const [yy, xx] = [y + i - pad, x + j - pad];
                if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
                for (let c = 0; c < fanIn; c++) {
                  const value = current[((r * height + yy) * width + xx) * fanIn + c];
                  if (value !== 0) sum = round(sum + round(value * filters[layer][((i * k + j) * fanIn + c) * fanOut + o]));
                }
              }
            out[((r * height + y) * width + x) * fanOut + o] = sum;
          }
    current = layer < filters.length - 1 ? out.map(activate) : out;
  }
  return current;
}

// Between them, every width of block the WebAssembly sums outputs in (16, 8, 4, 2, 1 in float64;
// 32, 16, 8, 4, 1 in float32), and tanh between layers, in float64 and in float32.
const SHAPES: [number[], number, number, number, number, 'relu' | 'tanh', boolean][] = [
  [[3, 16, 5], 3, 2, 6, 5, 'relu', false],
  [[4, 64, 64, 8], 3, 1, 7, 7, 'relu', false],
  [[2, 9, 4], 5, 2, 4, 6, 'relu', false],
  [[1, 8], 1, 3, 3, 3, 'relu', false],
  [[5, 31, 30], 3, 2, 5, 4, 'tanh', false],
  [[3, 16, 5], 3, 2, 6, 5, 'relu', true],
  [[4, 64, 64, 8], 3, 1, 7, 7, 'relu', true],
  [[2, 9, 63], 5, 2, 4, 6, 'relu', true],
  [[5, 31, 30], 3, 2, 5, 4, 'tanh', true],
];

describe.each([
  ['WebAssembly (SIMD)', true],
  ['JavaScript only', false],
])('the exact convolutional network, %s', (_, wasm) => {
  afterAll(() => {
    useWasmConvolution(true);
  });

  it('runs where it is asked to (WebAssembly with SIMD starts in Node 20)', () => {
    expect(useWasmConvolution(wasm)).toBe(wasm);
  });

  it.each(SHAPES)(
    'channels %j, kernel %i, %i images of %i × %i, %s, float32 %s: the same bits as the formula in its order of additions',
    (channels, kernelSize, rows, height, width, activation, float32) => {
      useWasmConvolution(wasm);
      const seeded = new Random(channels.length * 100 + kernelSize);
      const random = () => seeded.uniform();
      const filters = channels
        .slice(1)
        .map((fanOut, l) => Float64Array.from({ length: kernelSize * kernelSize * channels[l] * fanOut }, () => Math.fround(random() - 0.5)));
      const biases = channels.slice(1).map((fanOut) => Float32Array.from({ length: fanOut }, () => random() - 0.5));
      const network: ExactConvNetwork = { channels, kernelSize, filters, biases, activation, float32 };
      // Inputs on a 2^−16 lattice, a third of them zero (as a coupling's masked channels are).
      const input = Float64Array.from({ length: rows * height * width * channels[0] }, () => (random() < 0.33 ? 0 : Math.round((random() - 0.5) * 2 ** 18)));
      const expected = reference(
        network,
        Float64Array.from(input, (v) => v / 2 ** 16),
        rows,
        height,
        width,
      );
      const got = evaluateConvExactly(network, input, rows, height, width, 2 ** 16);
      expect(got.length).toBe(expected.length);
      for (let k = 0; k < got.length; k++) if (!Object.is(got[k], expected[k])) expect({ k, got: got[k] }).toEqual({ k, got: expected[k] });
    },
  );
});

describe('the WebAssembly module of the exact convolution', () => {
  it('is what exact-conv.wat assembles to (node scripts/build-exact-conv.mjs writes it)', async () => {
    const assembled: Uint8Array = await assembleExactConv();
    expect(Buffer.from(assembled).toString('base64')).toBe(EXACT_CONV_WASM);
  });
});
