// Adam's loops (Kingma and Ba 2015), compiled once per path (isa.h); adam.c splits the ranges
// between the threads:
//   first moment   m' = β m + (1 − β) (s g)
//   second moment  v' = β v + (1 − β) (s g)²        (s: the clip factor, 1 without clipping)
//   parameter      p' = p · decay − stepSize · m'_j / (√(v'_j · c₂⁻¹) + ε), j = offset + i
// and all three in one pass over a variable's values (the fused update), with the same operations.
#include <math.h>
#include "isa.h"

void FLOWS_ISA_FUNCTION(flows_adam_moment_range)(void *context, int64_t first, int64_t last) {
  const AdamMoment *a = (const AdamMoment *)context;
  const float beta = a->beta, rest = a->rest, scale = a->scale;
  const float *restrict m = a->moment, *restrict g = a->gradient;
  float *restrict out = a->out;
  if (a->second) {
    for (int64_t i = first; i < last; i++) {
      float s = g[i] * scale;
      out[i] = beta * m[i] + rest * (s * s);
    }
  } else {
    for (int64_t i = first; i < last; i++) out[i] = beta * m[i] + rest * (g[i] * scale);
  }
}

void FLOWS_ISA_FUNCTION(flows_adam_parameter_range)(void *context, int64_t first, int64_t last) {
  const AdamParameter *a = (const AdamParameter *)context;
  const float stepSize = a->stepSize, c2 = a->inverseCorrection2, epsilon = a->epsilon, decay = a->decay;
  const float *restrict p = a->parameter, *restrict m = a->first, *restrict v = a->second;
  float *restrict out = a->out;
  for (int64_t i = first; i < last; i++) out[i] = p[i] * decay - (stepSize * m[i]) / (sqrtf(v[i] * c2) + epsilon);
}

void FLOWS_ISA_FUNCTION(flows_adam_update_range)(const AdamFused *a, int64_t first, int64_t last) {
  const float beta1 = a->beta1, rest1 = a->rest1, beta2 = a->beta2, rest2 = a->rest2, scale = a->scale;
  const float stepSize = a->stepSize, c2 = a->inverseCorrection2, epsilon = a->epsilon, decay = a->decay;
  const float *restrict p = a->parameter, *restrict g = a->gradient, *restrict m = a->first, *restrict v = a->second;
  float *restrict pOut = a->parameterOut, *restrict mOut = a->firstOut, *restrict vOut = a->secondOut;
  for (int64_t i = first; i < last; i++) {
    float s = g[i] * scale;
    float m1 = beta1 * m[i] + rest1 * s;
    float v1 = beta2 * v[i] + rest2 * (s * s);
    mOut[i] = m1;
    vOut[i] = v1;
    pOut[i] = p[i] * decay - (stepSize * m1) / (sqrtf(v1 * c2) + epsilon);
  }
}

// The same update written over the moments and the parameter themselves (their outputs are their
// inputs): each value is read and written once, with no second buffer to fill.
void FLOWS_ISA_FUNCTION(flows_adam_update_in_place_range)(const AdamFused *a, int64_t first, int64_t last) {
  const float beta1 = a->beta1, rest1 = a->rest1, beta2 = a->beta2, rest2 = a->rest2, scale = a->scale;
  const float stepSize = a->stepSize, c2 = a->inverseCorrection2, epsilon = a->epsilon, decay = a->decay;
  const float *restrict g = a->gradient;
  float *restrict p = a->parameterOut, *restrict m = a->firstOut, *restrict v = a->secondOut;
  for (int64_t i = first; i < last; i++) {
    float s = g[i] * scale;
    float m1 = beta1 * m[i] + rest1 * s;
    float v1 = beta2 * v[i] + rest2 * (s * s);
    m[i] = m1;
    v[i] = v1;
    p[i] = p[i] * decay - (stepSize * m1) / (sqrtf(v1 * c2) + epsilon);
  }
}

float FLOWS_ISA_FUNCTION(flows_sum_of_squares)(const float *x, int64_t first, int64_t last) {
  float total = 0.0f;
#pragma omp simd reduction(+ : total)
  for (int64_t i = first; i < last; i++) total += x[i] * x[i];
  return total;
}
