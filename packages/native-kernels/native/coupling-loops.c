// The masked affine coupling's loops over rows, compiled once per path (isa.h); coupling.c splits
// the rows between the threads and sums the threads' shares of ∂/∂c.
#include "elementwise-math.h"
#include "isa.h"

static inline float activation_f(float r, int tanh) { return tanh ? tanh_f(r) : r; }

void FLOWS_ISA_FUNCTION(flows_coupling_forward_rows)(const Coupling *k, int64_t first, int64_t last) {
  const int64_t n = k->size;
  for (int64_t b = first; b < last; b++) {
    const float *restrict y = k->y + b * n, *restrict r = k->r + b * n, *restrict t = k->t + b * n, *restrict m = k->m, *restrict c = k->c;
    float *restrict x = k->x + b * n;
    float total = 0.0f;
    const int tanh = k->tanh;
#pragma omp simd reduction(+ : total)
    for (int64_t d = 0; d < n; d++) {
      float s = c[d] * activation_f(r[d], tanh) * m[d];
      x[d] = (y[d] - t[d] * m[d]) * exp_f(-s);
      total += s;
    }
    k->logDet[b] = -total;
  }
}

void FLOWS_ISA_FUNCTION(flows_coupling_gradient_rows)(const Coupling *k, int64_t first, int64_t last, float *restrict dc) {
  const int64_t n = k->size;
  for (int64_t b = first; b < last; b++) {
    const int64_t o = b * n;
    const float *restrict y = k->y + o, *restrict r = k->r + o, *restrict t = k->t + o, *restrict gx = k->dx + o, *restrict m = k->m, *restrict c = k->c;
    float *restrict dy = k->dy + o, *restrict dt = k->dt + o, *restrict dr = k->dr + o;
    const float gl = k->dl[b];
    const int tanh = k->tanh;
#pragma omp simd
    for (int64_t d = 0; d < n; d++) {
      float a = activation_f(r[d], tanh);
      float slope = tanh ? 1.0f - a * a : 1.0f;
      float decay = exp_f(-(c[d] * a * m[d]));
      float x = (y[d] - t[d] * m[d]) * decay;
      float common = gx[d] * x + gl;
      dy[d] = gx[d] * decay;
      dt[d] = -gx[d] * decay * m[d];
      dr[d] = -common * c[d] * m[d] * slope;
      dc[d] += common * a;
    }
  }
}
