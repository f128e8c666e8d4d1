// The fused dense coupling's loops over one row's transformed coordinates (gathered into contiguous
// scratch, computed, scattered back), the two loops its backward pass runs over whole blocks, and
// its gathers and scatters, compiled once per path (isa.h):
//   forward   s = c a(o_s),  x = (y − o_t) e^{−s},  returns Σ s           (a = tanh or the identity)
//   gradient  common = g_x x + g_l,  ∂y = g_x e^{−s},  ∂o_t = −g_x e^{−s},  ∂o_s = −common c a′(o_s),
//             ∂c += common a(o_s)
//   ReLU's gradient  d = h > 0 ? d : 0;   column sums  sums[j] += Σ_i rows[i][j]
#include "elementwise-math.h"
#include "isa.h"

static inline float activation_of(float r, int tanh) { return tanh ? tanh_f(r) : r; }

// The gathers and scatters by an index list: AVX2 gathers and AVX-512 gathers and scatters
// vectorize these loops; they stay apart from the arithmetic, whose loop a scatter would keep scalar
// where the path has no scatter instruction.
static inline void gather_by(const float *restrict source, const int *restrict index, int64_t n, float *restrict target) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) target[j] = source[index[j]];
}

static inline void scatter_by(const float *restrict source, const int *restrict index, int64_t n, float *restrict target) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) target[index[j]] = source[j];
}

void FLOWS_ISA_FUNCTION(flows_gather)(const float *source, const int *index, int64_t n, float *target) { gather_by(source, index, n, target); }

void FLOWS_ISA_FUNCTION(flows_scatter)(const float *source, const int *index, int64_t n, float *target) { scatter_by(source, index, n, target); }

void FLOWS_ISA_FUNCTION(flows_scatter_add2)(const float *restrict a, const float *restrict b, const int *restrict index, int64_t n, float *restrict target) {
  // The indices are distinct (a mask's kept coordinates), so no two lanes add into one value.
#pragma omp simd
  for (int64_t j = 0; j < n; j++) target[index[j]] += a[j] + b[j];
}

// The activation and the exponential in two loops rather than one: the compiler vectorizes each
// alone better than both in one loop (measured: bench/results.md).
float FLOWS_ISA_FUNCTION(flows_dense_coupling_forward_row)(const float *restrict os, const float *restrict ot, const float *restrict y, const int *restrict index,
                                                          const float *restrict c, float *restrict scratch, float *restrict x, int64_t n, int tanh) {
  float *restrict yT = scratch, *restrict s = scratch + ((n + 15) & ~(int64_t)15);
  gather_by(y, index, n, yT);
#pragma omp simd
  for (int64_t j = 0; j < n; j++) s[j] = c[j] * activation_of(os[j], tanh);
  float total = 0.0f;
#pragma omp simd reduction(+ : total)
  for (int64_t j = 0; j < n; j++) {
    yT[j] = (yT[j] - ot[j]) * exp_f(-s[j]);
    total += s[j];
  }
  scatter_by(yT, index, n, x);
  return total;
}

void FLOWS_ISA_FUNCTION(flows_dense_coupling_gradient_row)(const float *restrict os, const float *restrict x, const float *restrict gx, const int *restrict index,
                                                          const float *restrict c, float gl, float *restrict scratch, int64_t n, int tanh, float *restrict dy,
                                                          float *restrict dos, float *restrict dot, float *restrict dc) {
  const int64_t padded = (n + 15) & ~(int64_t)15;
  float *restrict gxT = scratch, *restrict xT = scratch + padded, *restrict a = scratch + 2 * padded;
  gather_by(gx, index, n, gxT);
  gather_by(x, index, n, xT);
#pragma omp simd
  for (int64_t j = 0; j < n; j++) a[j] = activation_of(os[j], tanh);
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    float slope = tanh ? 1.0f - a[j] * a[j] : 1.0f;
    float decay = exp_f(-(c[j] * a[j]));
    float common = gxT[j] * xT[j] + gl;
    float g = gxT[j] * decay;
    gxT[j] = g;
    dot[j] = -g;
    dos[j] = -common * c[j] * slope;
    dc[j] += common * a[j];
  }
  scatter_by(gxT, index, n, dy);
}

void FLOWS_ISA_FUNCTION(flows_relu_gradient)(float *restrict d, const float *restrict h, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) d[i] = h[i] > 0.0f ? d[i] : 0.0f;
}

void FLOWS_ISA_FUNCTION(flows_add_columns)(const float *restrict rows, int64_t count, int64_t width, float *restrict sums) {
  for (int64_t i = 0; i < count; i++) {
    const float *restrict row = rows + i * width;
#pragma omp simd
    for (int64_t j = 0; j < width; j++) sums[j] += row[j];
  }
}
