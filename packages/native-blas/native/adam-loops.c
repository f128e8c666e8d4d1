// Adam's loops (Kingma and Ba 2015), compiled once per path (isa.h); adam.c splits the ranges
// between the threads:
//   first moment   m' = β m + (1 − β) (s g)
//   second moment  v' = β v + (1 − β) (s g)²        (s: the clip factor, 1 without clipping)
//   parameter      p' = p · decay − stepSize · m'_j / (√(v'_j · c₂⁻¹) + ε), j = offset + i
#include <math.h>
#include "isa.h"

void FLOWS_ISA_FUNCTION(flows_adam_moment_range)(void *context, int64_t first, int64_t last) {
  const AdamMoment *a = (const AdamMoment *)context;
  const float beta = a->beta, rest = 1.0f - a->beta, scale = a->scale;
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
