import { describe, expect, it } from 'vitest';
import { greyDigit, sizeRows } from './digit-checks.js';

const rgba = (value: (i: number) => [number, number, number, number]) => Uint8Array.from({ length: 784 * 4 }, (_, k) => value(k >> 2)[k & 3]);

describe('the image page’s checks', () => {
  it('takes a 28×28 opaque grey image as its bytes', () => {
    const grey = greyDigit(
      rgba((i) => [i % 256, i % 256, i % 256, 255]),
      28,
      28,
      'seven.png',
    );
    expect(Array.from(grey.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(grey[300]).toBe(300 % 256);
  });

  it('refuses another size, colour or transparency, naming the file and the fix', () => {
    expect(() => greyDigit(new Uint8Array(32 * 32 * 4), 32, 32, 'big.png')).toThrow(/big\.png is 32×32.*28×28/);
    expect(() =>
      greyDigit(
        rgba((i) => (i === 5 ? [1, 2, 3, 255] : [0, 0, 0, 255])),
        28,
        28,
        'red.png',
      ),
    ).toThrow(/red\.png has colour \(pixel 5/);
    expect(() =>
      greyDigit(
        rgba(() => [0, 0, 0, 128]),
        28,
        28,
        'clear.png',
      ),
    ).toThrow(/clear\.png has transparent pixels/);
  });

  it('gives each method its bits per pixel and its size against the model’s file of its group', () => {
    const rows = sizeRows('8-bit', 100, { method: 'integer flow (.fcod)', bytes: 10_000, note: '' }, [{ method: 'PNG', bytes: 20_000, note: '' }]);
    expect(rows.map((row) => row.method)).toEqual(['raw bytes', 'integer flow (.fcod)', 'PNG']);
    expect(rows[0]).toMatchObject({ group: '8-bit', bytes: 78_400, bitsPerDim: 8, ratio: 7.84 });
    expect(rows[1]).toMatchObject({ bitsPerDim: 80_000 / 78_400, ratio: 1 });
    expect(rows[2].ratio).toBe(2);
    const binarized = sizeRows('binarized', 100, { method: 'bits-back with the VAE (.fcod)', bytes: 980, note: '' }, []);
    expect(binarized[0]).toMatchObject({ group: 'binarized', method: 'binarized: raw bits', bytes: 9800, bitsPerDim: 1, ratio: 10 });
  });
});
