// The addon's hot loops, compiled once per instruction set and chosen at run time.
//
// The addon used to be compiled with -march=native, so a build copied to an older CPU would fault
// on its first vector instruction. Now everything is compiled for the architecture's baseline
// (x86-64: SSE2) except the sources that hold the hot loops (elementwise-loops.c, coupling-loops.c,
// adam-loops.c, isa-kernels.c, and gemm-avx512.c), which binding.gyp compiles once per path with
// that path's flags into a static library of its own, their functions named with the path's suffix
// (flows_unary_loop_avx2, …) and gathered in one table per path (IsaKernels). isa.c picks the best
// table the CPU runs when the addon loads (__builtin_cpu_supports), and `isa(name)` forces another
// (refusing one the CPU lacks). The paths:
//   x86-64   baseline (SSE2), avx2 (AVX2 + FMA), avx512 (AVX-512 F/BW/VL/DQ + FMA; also the own GEMM)
//   aarch64  neon (the baseline: Advanced SIMD is part of ARMv8-A, so the loops vectorize with it)
//   other    baseline
#ifndef FLOWS_ISA_H
#define FLOWS_ISA_H

#include <stdint.h>
#include "convolution-direct.h"

// The masked affine coupling's operands and shapes (element pointers into the wasm heap).
typedef struct {
  const float *y, *r, *t, *m, *c, *dx, *dl;
  float *x, *logDet, *dy, *dt, *dr, *dc, *partials;
  int64_t batch, size, rowsPerShare;
  int tanh;
} Coupling;

// One Adam moment: out = β m + (1 − β) (scale g), or its square for the second moment. `rest` is
// 1 − β computed in double and rounded once, as the reference composition's scalar is (1 − β in
// float32 is 1.3e-5 off at β = 0.999).
typedef struct {
  const float *moment, *gradient;
  float *out;
  float beta, rest, scale;
  int second;
} AdamMoment;

// One variable's Adam update: out = p · decay − stepSize · m / (√(v · c₂⁻¹) + ε).
typedef struct {
  const float *parameter, *first, *second;
  float *out;
  float stepSize, inverseCorrection2, epsilon, decay;
} AdamParameter;

// The whole Adam update of one variable's values in one pass (adamUpdate): the moments' and the
// parameter's new values from the old ones and the gradient, with the formulas of the two above.
typedef struct {
  const float *parameter, *gradient, *first, *second;
  float *parameterOut, *firstOut, *secondOut;
  float beta1, rest1, beta2, rest2, scale, stepSize, inverseCorrection2, epsilon, decay;  // rest: 1 − β rounded once (AdamMoment)
} AdamFused;

// The elementwise functions' codes, as src/kernels/elementwise.ts sends them.
enum { OP_EXP = 0, OP_LOG1P = 1, OP_SOFTPLUS = 2, OP_TANH = 3, OP_COUNT = 4 };

// One path's loops.
typedef struct {
  const char *name;
  /** y[i] = f(x[i]) for i < size, f the function `op` (below OP_COUNT). */
  void (*unary)(int op, const float *x, float *y, int64_t size);
  /** The coupling's x and log-det for the rows [first, last). */
  void (*coupling_forward_rows)(const Coupling *k, int64_t first, int64_t last);
  /** Its ∂/∂y, ∂/∂t, ∂/∂r for the rows [first, last), and their terms of Σ_batch (g_x x + g_l) a(r) added into dc. */
  void (*coupling_gradient_rows)(const Coupling *k, int64_t first, int64_t last, float *dc);
  /** Adam's loops over [first, last); context an AdamMoment or an AdamParameter. */
  void (*adam_moment_range)(void *context, int64_t first, int64_t last);
  void (*adam_parameter_range)(void *context, int64_t first, int64_t last);
  /** The fused update over [first, last) of one variable (context an AdamFused), and Σ x² over [first, last). */
  void (*adam_update_range)(const AdamFused *a, int64_t first, int64_t last);
  /** The same where every output is its input (the moments and the parameter updated where they lie). */
  void (*adam_update_in_place_range)(const AdamFused *a, int64_t first, int64_t last);
  float (*sum_of_squares)(const float *x, int64_t first, int64_t last);
  /** The fused dense coupling's loops (dense-coupling-loops.c): one row forward (x written at the
   *  `index` coordinates of the row, Σ s returned) and backward (dy written at them; scratch holds
   *  3 × n rounded up to 16), ReLU's gradient d = h > 0 ? d : 0, column sums, and gathers and
   *  scatters by an index list (scatter_add2: target[index[j]] += a[j] + b[j], distinct indices). */
  float (*dense_coupling_forward_row)(const float *os, const float *ot, const float *y, const int *index, const float *c, float *scratch, float *x, int64_t n,
                                      int tanh);
  void (*dense_coupling_gradient_row)(const float *os, const float *x, const float *gx, const int *index, const float *c, float gl, float *scratch, int64_t n,
                                      int tanh, float *dy, float *dos, float *dot, float *dc);
  void (*relu_gradient)(float *d, const float *h, int64_t n);
  void (*add_columns)(const float *rows, int64_t count, int64_t width, float *sums);
  void (*gather)(const float *source, const int *index, int64_t n, float *target);
  void (*scatter)(const float *source, const int *index, int64_t n, float *target);
  void (*scatter_add2)(const float *a, const float *b, const int *index, int64_t n, float *target);
  /** The own matrix product (gemm.h), or NULL where the path has none (then OpenBLAS computes every product). */
  int (*gemm)(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
              int threads);
  /** The direct stride-1 convolution and its filter gradient (convolution-direct.h), or NULL where the
   *  path has none (then im2col and OpenBLAS products compute them). 0 done, 1 a shape they do not
   *  take, −1 out of memory. */
  int (*conv_forward)(const DirectConvolution *c, int threads);
  int (*conv_filter_gradient)(const DirectFilterGradient *c, int threads);
  /** A layer's whole gradient (ReLU's derivative, bias, input and filter gradients), image by image. */
  int (*conv_backward)(const DirectBackward *c, int threads);
} IsaKernels;

/** The path in use: the best the CPU runs, unless `isa(name)` chose another. */
const IsaKernels *flows_isa(void);

// Inside a path's sources: FLOWS_ISA_SUFFIX (from binding.gyp) names their functions.
#define FLOWS_CAT_(a, b) a##b
#define FLOWS_CAT(a, b) FLOWS_CAT_(a, b)
#define FLOWS_ISA_FUNCTION(name) FLOWS_CAT(name, FLOWS_ISA_SUFFIX)

// Each path's functions (defined in its own build of the loop sources).
#define FLOWS_DECLARE_ISA(suffix)                                                                                \
  void flows_unary_loop##suffix(int op, const float *x, float *y, int64_t size);                                \
  void flows_coupling_forward_rows##suffix(const Coupling *k, int64_t first, int64_t last);                     \
  void flows_coupling_gradient_rows##suffix(const Coupling *k, int64_t first, int64_t last, float *dc);         \
  void flows_adam_moment_range##suffix(void *context, int64_t first, int64_t last);                             \
  void flows_adam_parameter_range##suffix(void *context, int64_t first, int64_t last);                          \
  void flows_adam_update_range##suffix(const AdamFused *a, int64_t first, int64_t last);                        \
  void flows_adam_update_in_place_range##suffix(const AdamFused *a, int64_t first, int64_t last);               \
  float flows_sum_of_squares##suffix(const float *x, int64_t first, int64_t last);                              \
  float flows_dense_coupling_forward_row##suffix(const float *os, const float *ot, const float *y, const int *index, const float *c, float *scratch, \
                                                 float *x, int64_t n, int tanh);                               \
  void flows_dense_coupling_gradient_row##suffix(const float *os, const float *x, const float *gx, const int *index, const float *c, float gl,  \
                                                 float *scratch, int64_t n, int tanh, float *dy, float *dos, float *dot, float *dc); \
  void flows_relu_gradient##suffix(float *d, const float *h, int64_t n);                                        \
  void flows_gather##suffix(const float *source, const int *index, int64_t n, float *target);                 \
  void flows_scatter##suffix(const float *source, const int *index, int64_t n, float *target);                \
  void flows_scatter_add2##suffix(const float *a, const float *b, const int *index, int64_t n, float *target); \
  void flows_add_columns##suffix(const float *rows, int64_t count, int64_t width, float *sums);                 \
  extern const IsaKernels flows_isa_kernels##suffix;

FLOWS_DECLARE_ISA(_baseline)
#if defined(FLOWS_X86_PATHS)
FLOWS_DECLARE_ISA(_avx2)
FLOWS_DECLARE_ISA(_avx512)
#endif

#endif
