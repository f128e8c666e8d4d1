/**
 * Weights stored at half precision (IEEE 754 binary16: 1 sign bit, 5 exponent bits, 10 fraction
 * bits), for models that ship: half the bytes of float32. Written by hand because JavaScript has no
 * float16 array before ES2025 (`Float16Array`, `Math.f16round`), which Node 20 lacks.
 *
 * Rounding is to nearest, ties to even, as `Math.f16round` does; reading back is exact (every
 * binary16 value is a float32 value), so a model loads to the same weights on every engine and a
 * card measured with the loaded model describes what ships. Values that round past the largest
 * half (65504; from 65520 on) are refused rather than stored as infinities.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The binary16 bits of the float32 value `Math.fround(value)` rounded to nearest even (weights are
 * float32; a float64 argument is rounded to float32 first, so it may round twice); a RangeError for
 * NaN, infinities and values that round past ±65504 (from 65520 on).
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) throw new RangeError(`${value} has no half-precision value`);
  // Unbiased exponent e: float32 bias 127, half bias 15.
  const e = exponent - 127;
  if (e > 15) throw new RangeError(`${value} is past the largest half-precision value (65504)`);
  if (e >= -14) {
    // Normal half: keep 10 of the 23 fraction bits, rounding the other 13 to nearest even.
    let half = ((e + 15) << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
    // A carry out of the fraction moves to the next exponent, which is right; past 0x7bff it is infinite.
    if (half >= 0x7c00) throw new RangeError(`${value} rounds past the largest half-precision value (65504)`);
    return sign | half;
  }
  if (e < -25) return sign; // below half the smallest subnormal (2^-24): rounds to zero
  // Subnormal half: the value is m · 2^-24 with m < 1024; shift the full significand (implicit 1) down.
  const significand = mantissa | 0x800000;
  const shift = -e - 14 + 13; // 14 ≤ shift ≤ 24
  let half = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const midpoint = 1 << (shift - 1);
  if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half++;
  return sign | half;
}

/** The value of binary16 bits (exact). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** How each stored tensor's values are written: 4 or 2 bytes a value. */
export type WeightPrecision = 'float32' | 'float16';

/** Bytes a value takes at `dtype`. */
export function bytesPerValue(dtype: WeightPrecision): number {
  return dtype === 'float16' ? 2 : 4;
}

/**
 * The weights file's bytes: each tensor's values in turn, little-endian, at its spec's dtype.
 * `names` says which tensor a refused value is in.
 */
export function encodeWeights(values: Float32Array, specs: readonly { shape: number[]; dtype: WeightPrecision }[], name: (i: number) => string): Uint8Array {
  const bytes = new Uint8Array(specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec.dtype), 0));
  const view = new DataView(bytes.buffer);
  let offset = 0;
  let at = 0;
  specs.forEach((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    for (let k = 0; k < size; k++, at++) {
      if (spec.dtype === 'float32') {
        view.setFloat32(offset, values[at], true);
        offset += 4;
      } else {
        let bits: number;
        try {
          bits = float16Bits(values[at]);
        } catch (error) {
          throw new RangeError(`${name(i)}, value ${k}: ${(error as Error).message}; save it at float32`);
        }
        view.setUint16(offset, bits, true);
        offset += 2;
      }
    }
  });
  return bytes;
}

/** The float32 values of a weights file whose specs were checked against its length. */
export function decodeWeights(bytes: Uint8Array, specs: readonly { shape: number[]; dtype: WeightPrecision }[]): Float32Array {
  const total = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
  const values = new Float32Array(total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let at = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'float32') {
      for (let k = 0; k < size; k++, offset += 4) values[at++] = view.getFloat32(offset, true);
    } else {
      for (let k = 0; k < size; k++, offset += 2) values[at++] = float16Value(view.getUint16(offset, true));
    }
  }
  return values;
}
