import { describe, expect, it } from 'vitest';
import {
  EXACT_MATH_VERSION,
  exactExp,
  exactExpm1,
  exactLog,
  exactLog1p,
  exactSigmoid,
  exactSoftplus,
  exactSqrt,
  exactTanh,
  floorLog2,
  powerOfTwo,
  roundHalfToEven,
} from './exact-math.js';
import { sha256 } from './container.js';
import { seededUniform } from './test-random.js';

/** The distance in units in the last place between two doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(
    BigInt.asIntN(64, view.getBigUint64(0) - view.getBigUint64(8)) < 0n
      ? view.getBigUint64(8) - view.getBigUint64(0)
      : view.getBigUint64(0) - view.getBigUint64(8),
  );
}

/** Arguments over many scales: uniform on ±range, and log-uniform magnitudes from 10⁻³⁰⁰ to 10³⁰⁰. */
function argumentsFor(count: number, range: number, seed: number): Float64Array {
  const random = seededUniform(seed);
  const values = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const sign = random() < 0.5 ? -1 : 1;
    values[k] = k % 2 === 0 ? (2 * random() - 1) * range : sign * 10 ** (600 * random() - 300);
  }
  return values;
}

describe('exact elementary functions', () => {
  it('exp and log are fdlibm’s: bit for bit what V8’s Math.exp and Math.log give, on a million arguments', () => {
    let expDifferences = 0;
    let logDifferences = 0;
    for (const x of argumentsFor(500_000, 750, 1)) if (!Object.is(exactExp(x), Math.exp(x))) expDifferences++;
    for (const x of argumentsFor(500_000, 1e6, 2)) {
      const a = Math.abs(x);
      if (!Object.is(exactLog(a), Math.log(a))) logDifferences++;
    }
    expect(expDifferences).toBe(0);
    expect(logDifferences).toBe(0);
    for (const x of [
      0, -0, 1, -1, 1e-320, 5e-324, 709.78, 709.79, 709.782712893384, 709.7827128933841, -745.1, -745.2, -745.133, -745.1332191019411, -745.14, 1e-10, -1e-10,
      0.34657359027997264, 0.3465735902799727, 1.0397207708399179,
    ])
      expect(exactExp(x)).toBe(Math.exp(x));
    expect(exactExp(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(exactExp(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(exactExp(Number.NaN)).toBeNaN();
    for (const x of [1, 2, Math.E, 0.5, 1 + 2 ** -30, 1 - 2 ** -30, 5e-324, 1e-310, Number.MAX_VALUE]) expect(exactLog(x)).toBe(Math.log(x));
    expect(exactLog(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(exactLog(-1)).toBeNaN();
    expect(exactLog(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('expm1, log1p, tanh, sigmoid, softplus and sqrt are within a few ulp of the engine’s own', () => {
    const worst = { expm1: 0, log1p: 0, tanh: 0, sqrt: 0, sigmoid: 0, softplus: 0 };
    for (const x of argumentsFor(200_000, 30, 3)) {
      worst.expm1 = Math.max(worst.expm1, ulps(exactExpm1(x), Math.expm1(x)));
      worst.tanh = Math.max(worst.tanh, ulps(exactTanh(x), Math.tanh(x)));
      const a = Math.abs(x);
      worst.log1p = Math.max(worst.log1p, ulps(exactLog1p(a), Math.log1p(a)));
      worst.sqrt = Math.max(worst.sqrt, ulps(exactSqrt(a), Math.sqrt(a)));
      if (Math.abs(x) < 700) {
        worst.sigmoid = Math.max(worst.sigmoid, ulps(exactSigmoid(x), x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))));
        worst.softplus = Math.max(worst.softplus, ulps(exactSoftplus(x), x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))));
      }
    }
    expect(worst.sqrt).toBeLessThanOrEqual(1);
    expect(worst.expm1).toBeLessThanOrEqual(4);
    expect(worst.log1p).toBeLessThanOrEqual(4);
    expect(worst.tanh).toBeLessThanOrEqual(8);
    expect(worst.sigmoid).toBeLessThanOrEqual(4);
    expect(worst.softplus).toBeLessThanOrEqual(4);
    expect(exactTanh(-0)).toBe(-0);
    expect(exactTanh(40)).toBe(1);
    expect(exactTanh(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(exactSqrt(0)).toBe(0);
    expect(exactSqrt(4)).toBe(2);
    expect(exactSqrt(-1)).toBeNaN();
    expect(ulps(exactSqrt(5e-324), Math.sqrt(5e-324))).toBeLessThanOrEqual(1);
  });

  it('the exact helpers: powers of two, ⌊log₂ n⌋ and rounding halves to even', () => {
    expect(powerOfTwo(0)).toBe(1);
    expect(powerOfTwo(-1022)).toBe(2.2250738585072014e-308);
    expect(powerOfTwo(1023)).toBe(8.98846567431158e307);
    expect(() => powerOfTwo(1024)).toThrow(/−1022 to 1023/);
    // Math.log2(2^52 − 1) rounds up to 52: the floor of an approximated logarithm is not ⌊log₂ n⌋.
    expect([1, 2, 3, 4, 7, 8, 1023, 1024, 2 ** 52 - 1, 2 ** 52, 2 ** 53 - 1].map(floorLog2)).toEqual([0, 1, 1, 2, 2, 3, 9, 10, 51, 52, 52]);
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 3.5000000000000004].map(roundHalfToEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 4]);
  });

  it(`the results of version ${EXACT_MATH_VERSION} are pinned: a change to any function's bits must raise EXACT_MATH_VERSION`, async () => {
    const results = new Float64Array(6 * 4000);
    const xs = argumentsFor(4000, 40, 4);
    xs.forEach((x, k) => {
      const a = Math.abs(x);
      results.set([exactExp(x), exactLog(a), exactExpm1(x), exactLog1p(a), exactTanh(x), exactSqrt(a)], 6 * k);
    });
    expect(EXACT_MATH_VERSION).toBe(1);
    expect(await sha256(new Uint8Array(results.buffer))).toBe('f01a4be013b28fd34b83e17b68006ec7b68c839e72511f9b7f9cb04aabef09c5');
  });
});
