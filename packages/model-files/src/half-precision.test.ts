import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, float16Bits, float16Value } from './half-precision.js';

// Every finite binary16 value from its definition (sign, 5-bit exponent, 10-bit fraction), sorted,
// with its bits: the reference that rounding is checked against by search, not by the same bit tricks.
const finite: { value: number; bits: number }[] = [];
for (let bits = 0; bits < 0x10000; bits++) {
  const exponent = (bits >> 10) & 0x1f;
  if (exponent === 0x1f) continue;
  const fraction = bits & 0x3ff;
  const magnitude = exponent === 0 ? (fraction / 1024) * 2 ** -14 : (1 + fraction / 1024) * 2 ** (exponent - 15);
  finite.push({ value: bits & 0x8000 ? -magnitude : magnitude, bits });
}
const sorted = finite.filter((h) => !Object.is(h.value, -0)).sort((a, b) => a.value - b.value);

/** The nearest binary16 value to v by search, ties to the even fraction. */
function nearest(v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].value <= v) lo = mid;
    else hi = mid;
  }
  const [a, b] = [sorted[lo], sorted[hi]];
  const da = Math.abs(v - a.value);
  const db = Math.abs(b.value - v);
  if (da !== db) return da < db ? a.value : b.value;
  return (a.bits & 1) === 0 ? a.value : b.value;
}

describe('half precision', () => {
  it('reads every binary16 pattern exactly, and writes each value back to its own bits', () => {
    for (const { value, bits } of finite) {
      expect(Object.is(float16Value(bits), value)).toBe(true);
      expect(float16Bits(value)).toBe(bits);
    }
    expect(float16Value(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16Value(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16Value(0x7e00)).toBeNaN();
  });

  it('rounds float32 values to the nearest half, ties to even, across normals, subnormals and underflow', () => {
    const random = new Random(7);
    const f32 = new Float32Array(1);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Log-uniform magnitudes from 2^-30 to 2^16, both signs.
      f32[0] = (random.uniform() < 0.5 ? -1 : 1) * 2 ** (-30 + 46 * random.uniform()) * 0.999;
      values.push(f32[0]);
    }
    // Exact midpoints between neighbours (ties), normal and subnormal.
    for (const i of [0, 1, 2, 500, 1023, 1024, 1025, 20_000, 30_000, sorted.length - 2]) values.push((sorted[i].value + sorted[i + 1].value) / 2);
    for (const v of values) {
      if (Math.abs(v) > 65504) continue;
      // (+ 0 so that a negative value rounding to −0 compares with the search's +0; the sign of zero is checked below.)
      expect(float16Value(float16Bits(v)) + 0).toBe(nearest(v));
    }
    // Below half the smallest subnormal: zero, keeping the sign.
    expect(float16Bits(2 ** -26)).toBe(0);
    expect(float16Bits(-(2 ** -26))).toBe(0x8000);
  });

  it('refuses what has no half value, rather than storing an infinity', () => {
    expect(() => float16Bits(65520)).toThrow(/rounds past the largest half-precision value/);
    expect(float16Bits(65519)).toBe(0x7bff);
    expect(() => float16Bits(1e6)).toThrow(/past the largest half-precision value/);
    expect(() => float16Bits(Number.NaN)).toThrow(/no half-precision value/);
  });

  it('encodes and decodes mixed tensors little-endian, naming a tensor it cannot store', () => {
    const specs = [
      { shape: [3], dtype: 'float16' as const },
      { shape: [2], dtype: 'float32' as const },
      { shape: [1], dtype: 'float16' as const },
    ];
    const values = Float32Array.from([1, -2.5, 0.1, 0.1, 7, 3]);
    const bytes = encodeWeights(values, specs, (i) => `tensor ${i}`);
    expect(bytes.length).toBe(3 * 2 + 2 * 4 + 2);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]); // 1.0 = 0x3c00, low byte first
    const back = decodeWeights(bytes, specs);
    expect(Array.from(back)).toEqual([1, -2.5, float16Value(float16Bits(0.1)), Math.fround(0.1), 7, 3]);
    expect(() => encodeWeights(Float32Array.from([1, 2, 3, 0, 0, 7e4]), specs, (i) => `tensor ${i}`)).toThrow(/tensor 2, value 0: .*save it at float32/);
  });
});
