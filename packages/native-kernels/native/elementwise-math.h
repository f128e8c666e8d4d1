// Elementwise functions as branch-free single-precision polynomials (Cephes' coefficients, Moshier
// 1992), written so that the compiler vectorizes the loops that call them; special values are
// restored by selects at the end. Shared by the elementwise kernels and the coupling.
#ifndef FLOWS_ELEMENTWISE_MATH_H
#define FLOWS_ELEMENTWISE_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float bits_to_float(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
static inline int32_t float_to_bits(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

// x rounded to the nearest integer, ties to even, for |x| < 2^22. SSE2, the x86-64 baseline, has no
// vector rounding instruction (SSE4.1's roundps), and a call to rintf kept every loop over exp_f
// scalar there (bench/results.md); adding and taking away 1.5 · 2^23 rounds in the float's
// last place instead, with the same result as rintf in the default rounding mode. The other
// builds keep rintf, one instruction for them (the add could fuse with a multiply into an FMA,
// which rounds once and so could round differently).
static inline float round_f(float x) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__SSE4_1__)
  const float shift = 12582912.0f;
  return (x + shift) - shift;
#else
  return rintf(x);
#endif
}

// e^x with relative error below 2 ulp; 0 below -103.97, +inf above 88.72, NaN kept.
static inline float exp_f(float x) {
  float c = x < -103.972f ? -103.972f : (x > 88.7228f ? 88.7228f : x);
  float k = round_f(c * 1.44269504088896341f);
  float r = c - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // 2^k in two halves, so that k down to -150 (subnormal results) stays representable.
  int32_t ki = (int32_t)k;
  int32_t half = ki >> 1;
  y = y * bits_to_float((half + 127) << 23) * bits_to_float((ki - half + 127) << 23);
  y = x > 88.7228f ? INFINITY : y;
  y = x < -103.972f ? 0.0f : y;
  return x != x ? x : y;
}

// log x for finite x >= 2^-126 (callers pass normal positive values).
static inline float log_normal_f(float x) {
  int32_t bits = float_to_bits(x);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  float m = bits_to_float((bits & 0x007fffff) | 0x3f000000); // x = m 2^e, m in [0.5, 1)
  int below = m < 0.707106781186547524f;
  e -= below;
  m = (m - 1.0f) + (below ? m : 0.0f);
  float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = m * z * p;
  float fe = (float)e;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

// log(1 + u) for u >= 0, accurate for tiny u: log(w) u / (w - 1) with w = 1 + u rounded.
static inline float log1p_nonnegative_f(float u) {
  float w = 1.0f + u;
  float d = w - 1.0f;
  float l = log_normal_f(w);
  float ratio = u / (d == 0.0f ? 1.0f : d);
  return d == 0.0f ? u : l * ratio;
}

static inline float log1p_f(float x) {
  // General x > -1: same identity; w is a normal float there (at least 2^-24).
  float w = 1.0f + x;
  float d = w - 1.0f;
  float safe = (w > 0.0f && w < INFINITY) ? w : 1.0f;
  float l = log_normal_f(safe);
  float ratio = x / (d == 0.0f ? 1.0f : d);
  float y = d == 0.0f ? x : l * ratio;
  y = w == INFINITY ? INFINITY : y;
  y = w == 0.0f ? -INFINITY : y;
  y = w < 0.0f ? NAN : y;
  return x != x ? x : y;
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, no cancellation.
static inline float softplus_f(float x) {
  float a = fabsf(x);
  float y = (x > 0.0f ? x : 0.0f) + log1p_nonnegative_f(exp_f(-a));
  return x != x ? x : y;
}

// tanh: an odd polynomial below 0.625, 1 - 2 / (e^2|x| + 1) above (no cancellation there).
static inline float tanh_f(float x) {
  float a = fabsf(x);
  float s = x * x;
  float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s + 1.33314422036e-1f) * s - 3.33332819422e-1f) * s * x + x;
  float large = 1.0f - 2.0f / (exp_f(a + a) + 1.0f);
  large = x < 0.0f ? -large : large;
  float y = a < 0.625f ? small : large;
  return x != x ? x : y;
}


#endif
