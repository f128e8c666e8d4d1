/**
 * Elementary functions that give the same bits on every JavaScript engine and CPU.
 *
 * An entropy coder's encoder and decoder must build the same probability tables from the same
 * numbers. IEEE-754 double addition, subtraction, multiplication and division are correctly rounded,
 * so a fixed sequence of them gives the same bits everywhere; so do comparisons, `Math.floor`,
 * `Math.round`, `Math.abs`, `Math.min`/`max` and reading or writing a double's bits. `Math.exp`,
 * `Math.log`, `Math.tanh`, `Math.expm1`, `Math.log1p` (and `**`) are "implementation-approximated"
 * in the ECMAScript standard: each engine may return other last bits (V8 and SpiderMonkey port
 * fdlibm, JavaScriptCore calls the system's libm). So whatever decides a coded symbol uses these
 * instead, written with the exact operations only:
 *
 * - {@link exactExp} and {@link exactLog}: fdlibm's `__ieee754_exp` and `__ieee754_log` (Sun
 *   Microsystems 1993, as in FreeBSD's msun), line for line, with the high and low words read
 *   from the double's bits; under 1 ulp of error. They are the algorithms V8 itself uses (with
 *   its correctly rounded e^1), so in
 *   Node and Chromium they agree with `Math.exp` and `Math.log` (the tests check this on millions
 *   of arguments), and elsewhere they keep those results.
 * - {@link exactExpm1} and {@link exactLog1p} by Kahan's and Goldberg's corrections of exp and log
 *   (a few ulp); {@link exactTanh}, {@link exactSigmoid}, {@link exactSoftplus} from them.
 * - {@link exactSqrt}: Newton's iteration on the mantissa from a fixed start, a fixed number of
 *   steps (within 1 ulp; not necessarily the correctly rounded root, but the same everywhere).
 *
 * {@link EXACT_MATH_VERSION} names this set: a change to any function that can change a result's
 * bits must raise it, since files record the version of the arithmetic that wrote them.
 */

/** The version of these functions' results; raise it with any change that can alter one bit of them. */
export const EXACT_MATH_VERSION = 1;

const buffer = new ArrayBuffer(8);
const float = new Float64Array(buffer);
const words = new Uint32Array(buffer);
const signedWords = new Int32Array(buffer);
float[0] = 1;
/** Which of the two 32-bit words holds the sign and exponent on this machine. */
const HIGH = words[1] === 0x3ff00000 ? 1 : 0;
const LOW = 1 - HIGH;

function highWord(x: number): number {
  float[0] = x;
  return signedWords[HIGH];
}

function withHighWord(x: number, high: number): number {
  float[0] = x;
  words[HIGH] = high >>> 0;
  return float[0];
}

function fromWords(high: number, low: number): number {
  words[HIGH] = high >>> 0;
  words[LOW] = low >>> 0;
  return float[0];
}

const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019411;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = Math.LOG2E; // fdlibm's invln2, 0x3FF71547 652B82FE
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;
const TWO_M1000 = 9.332636185032189e-302;
const TWO_1023 = 8.98846567431158e307;

/** The thresholds fdlibm reads off |x|'s high word, as doubles: `hx ≥ H` ⇔ |x| ≥ the double whose bits are H:0. */
const ABS_HALF_LN2 = fromWords(0x3fd62e43, 0);
const ABS_THREE_HALVES_LN2 = fromWords(0x3ff0a2b2, 0);
const ABS_TINY = fromWords(0x3e300000, 0);
/** 2^k for k = −1021 … 1023 at index k + 1021 (and 2^(k+1000) below that), made from their bits once. */
const TWO_TO = Float64Array.from({ length: 1023 + 1021 + 1 }, (_, i) => fromWords((0x3ff + i - 1021) << 20, 0));

/**
 * e^x: fdlibm's `__ieee754_exp`, its tests of |x|'s high word made on |x| itself (which they are
 * equivalent to) and its 2^k read from a table, for speed.
 */
export function exactExp(x: number): number {
  if (!(x >= EXP_UNDERFLOW && x <= EXP_OVERFLOW)) {
    if (Number.isNaN(x)) return x;
    return x > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  // V8's one change to fdlibm: e itself correctly rounded (fdlibm gives one ulp above).
  if (x === 1) return Math.E;
  const a = x < 0 ? -x : x;
  let hi: number;
  let lo: number;
  let k: number;
  if (a >= ABS_HALF_LN2) {
    if (a < ABS_THREE_HALVES_LN2) {
      if (x < 0) {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      } else {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      }
    } else {
      // C's (int) truncates toward zero, as | 0 does for these small k.
      k = (INV_LN2 * x + (x < 0 ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI; // exact: LN2_HI's low 21 bits are 0
      lo = k * LN2_LO;
    }
  } else if (a < ABS_TINY) {
    return 1 + x;
  } else {
    const t = x * x;
    const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    return 1 - ((x * c) / (c - 2) - x);
  }
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  if (k >= -1021) return k === 1024 ? y * 2 * TWO_1023 : y * TWO_TO[k + 1021];
  return y * TWO_TO[k + 1000 + 1021] * TWO_M1000;
}

const TWO_54 = 18014398509481984;
const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

/** The natural logarithm: fdlibm's `__ieee754_log`. */
export function exactLog(x: number): number {
  float[0] = x;
  let hx = signedWords[HIGH];
  const lx = words[LOW];
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) === 0) return Number.NEGATIVE_INFINITY;
    if (hx < 0) return Number.NaN;
    k -= 54;
    x *= TWO_54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  x = withHighWord(x, hx | (i0 ^ 0x3ff00000));
  k += i0 >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f === 0) {
      if (k === 0) return 0;
      return k * LN2_HI + k * LN2_LO;
    }
    const r = f * f * (0.5 - 0.3333333333333333 * f);
    if (k === 0) return f - r;
    return k * LN2_HI - (r - k * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  let i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const r = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) return f - (hfsq - s * (hfsq + r));
    return k * LN2_HI - (hfsq - (s * (hfsq + r) + k * LN2_LO) - f);
  }
  if (k === 0) return f - s * (f - r);
  return k * LN2_HI - (s * (f - r) - k * LN2_LO - f);
}

/** e^x − 1, accurate near 0 (Kahan: (u − 1)·x / log u with u = e^x). */
export function exactExpm1(x: number): number {
  if (x === 0 || Number.isNaN(x)) return x;
  const u = exactExp(x);
  if (u === 1) return x;
  const um1 = u - 1;
  if (um1 === -1) return -1;
  if (u === Number.POSITIVE_INFINITY) return u;
  return (um1 * x) / exactLog(u);
}

/** log(1 + x), accurate near 0 (Goldberg: log(u)·x / (u − 1) with u = 1 + x). */
export function exactLog1p(x: number): number {
  const u = 1 + x;
  if (u === 1) return x;
  if (u === Number.POSITIVE_INFINITY) return u;
  return (exactLog(u) * x) / (u - 1);
}

/** tanh x, as fdlibm computes it from expm1 (its own sign for ±0, ±1 beyond 22). */
export function exactTanh(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a >= 22) return x > 0 ? 1 : -1;
  if (a < 3.725290298461914e-9) return x; // 2^−28
  let z: number;
  if (a >= 1) {
    const t = exactExpm1(2 * a);
    z = 1 - 2 / (t + 2);
  } else {
    const t = exactExpm1(-2 * a);
    z = -t / (t + 2);
  }
  return x >= 0 ? z : -z;
}

/** The logistic σ(t) = 1 / (1 + e^(−t)), through e^(−|t|) so that it neither overflows nor loses its tail. */
export function exactSigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + exactExp(-t));
  const e = exactExp(t);
  return e / (1 + e);
}

/** softplus x = log(1 + e^x), stable for any x. */
export function exactSoftplus(x: number): number {
  return x > 0 ? x + exactLog1p(exactExp(-x)) : exactLog1p(exactExp(x));
}

/**
 * √x: the exponent halved exactly, then six Newton steps y ← (y + m/y)/2 on the mantissa m in
 * [1, 4) from y = (1 + m)/2 (relative error 1/4 at worst, squared by each step: below 10⁻¹⁶ after
 * five). Within 1 ulp of the root, and the same bits everywhere.
 */
export function exactSqrt(x: number): number {
  if (!(x > 0) || x === Number.POSITIVE_INFINITY) return x === 0 || x === Number.POSITIVE_INFINITY ? x : Number.NaN;
  let scale = 0;
  if (x < 9.332636185032189e-302) {
    x *= 3.2451855365842673e32; // 2^108, exact: subnormal and tiny x scaled into the normal range
    scale = -54;
  }
  let exponent = ((highWord(x) >> 20) & 0x7ff) - 1023;
  if (exponent % 2 !== 0) exponent -= 1;
  const m = x * powerOfTwo(-exponent);
  let y = 0.5 * (1 + m);
  for (let step = 0; step < 6; step++) y = 0.5 * (y + m / y);
  return y * powerOfTwo(exponent / 2 + scale);
}

/** 2^k for a whole k from −1022 to 1023, built from its bits (exact; `2 ** k` is only approximated by the standard). */
export function powerOfTwo(k: number): number {
  if (!(Number.isInteger(k) && k >= -1022 && k <= 1023)) throw new RangeError(`powerOfTwo takes a whole number from −1022 to 1023, got ${k}`);
  return fromWords((k + 1023) << 20, 0);
}

/** ⌊log₂ n⌋ of a whole number n ≥ 1, by halving (exact; `Math.log2` is approximated). */
export function floorLog2(n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`floorLog2 takes a whole number ≥ 1, got ${n}`);
  let bits = 0;
  while (n >= 2) {
    n = Math.floor(n / 2);
    bits++;
  }
  return bits;
}

/** x rounded to the nearest integer, halves to the even one (as `tf.round` does), exactly. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x); // halves up, exact
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
