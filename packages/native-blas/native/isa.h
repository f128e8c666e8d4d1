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

// The masked affine coupling's operands and shapes (element pointers into the wasm heap).
typedef struct {
  const float *y, *r, *t, *m, *c, *dx, *dl;
  float *x, *logDet, *dy, *dt, *dr, *dc, *partials;
  int64_t batch, size, rowsPerShare;
  int tanh;
} Coupling;

// One Adam moment: out = β m + (1 − β) (scale g), or its square for the second moment.
typedef struct {
  const float *moment, *gradient;
  float *out;
  float beta, scale;
  int second;
} AdamMoment;

// One variable's Adam update: out = p · decay − stepSize · m / (√(v · c₂⁻¹) + ε).
typedef struct {
  const float *parameter, *first, *second;
  float *out;
  float stepSize, inverseCorrection2, epsilon, decay;
} AdamParameter;

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
  /** The own matrix product (gemm.h), or NULL where the path has none (then OpenBLAS computes every product). */
  int (*gemm)(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
              int threads);
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
  extern const IsaKernels flows_isa_kernels##suffix;

FLOWS_DECLARE_ISA(_baseline)
#if defined(FLOWS_X86_PATHS)
FLOWS_DECLARE_ISA(_avx2)
FLOWS_DECLARE_ISA(_avx512)
#endif

#endif
