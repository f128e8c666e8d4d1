// A single-precision matrix product with AVX-512, after the BLIS design (Van Zee and van de Geijn,
// "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS 41(3), 2015; Goto and
// van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008):
// blocks of B (KC × NC) and A (MC × KC) are packed into panels of NR columns and MR rows, and a
// register-blocked micro-kernel computes each MR × NR block of C as KC rank-1 updates held in 24
// zmm accumulators.
//
// Why hand-written: the machine's OpenBLAS is held to its Haswell (AVX2) kernels by the
// environment (OPENBLAS_CORETYPE), far below this AVX-512 CPU's speed (bench/results.md); the products of the
// dense couplings (784 × 256, 256 × 256 at batch 256-1024) are the bulk of a training step.
// Bias and ReLU are applied as C is written, so a fused dense layer makes one pass over C.
//
// Compiled only into the avx512 path (binding.gyp, isa.h), whose table is chosen only where the
// CPU runs AVX-512: nothing here checks the CPU.
#include "gemm.h"
#include "thread-pool.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

#define MR 12
#define NR 32
#define KC 256
#define MC 144
#define NC 512

// Per-thread packing buffers, grown as needed and kept: a fresh allocation per call returned its
// pages to the system and faulted them in again each time.
static __thread float *packed_a = NULL, *packed_b = NULL;
static __thread size_t packed_a_size = 0, packed_b_size = 0;

static float *grow(float **buffer, size_t *size, size_t wanted) {
  if (*size >= wanted) return *buffer;
  free(*buffer);
  *buffer = (float *)aligned_alloc(64, ((wanted * sizeof(float) + 63) / 64) * 64);
  *size = *buffer ? wanted : 0;
  return *buffer;
}

// op(A)(i, p) for the rows [i0, i0 + rows) and depths [p0, p0 + depth), into panels of MR rows:
// panel q holds depth × MR values, row r of depth p at p·MR + r; rows past the end are zeros.
static void pack_a(int transA, const float *a, int lda, int i0, int rows, int p0, int depth, float *out) {
  for (int q = 0; q < rows; q += MR) {
    int count = rows - q < MR ? rows - q : MR;
    float *panel = out + (int64_t)q * depth;
    if (transA) {
      for (int p = 0; p < depth; p++) {
        const float *source = a + (int64_t)(p0 + p) * lda + i0 + q;
        float *target = panel + (int64_t)p * MR;
        memcpy(target, source, (size_t)count * sizeof(float));
        for (int r = count; r < MR; r++) target[r] = 0.0f;
      }
    } else {
      for (int r = 0; r < MR; r++) {
        if (r < count) {
          const float *source = a + (int64_t)(i0 + q + r) * lda + p0;
          for (int p = 0; p < depth; p++) panel[(int64_t)p * MR + r] = source[p];
        } else {
          for (int p = 0; p < depth; p++) panel[(int64_t)p * MR + r] = 0.0f;
        }
      }
    }
  }
}

// op(B)(p, j) for depths [p0, p0 + depth) and columns [j0, j0 + columns), into panels of NR
// columns: panel q holds depth × NR values, column j of depth p at p·NR + j; zeros past the end.
static void pack_b(int transB, const float *b, int ldb, int p0, int depth, int j0, int columns, float *out) {
  for (int q = 0; q < columns; q += NR) {
    int count = columns - q < NR ? columns - q : NR;
    float *panel = out + (int64_t)q * depth;
    if (transB) {
      for (int j = 0; j < NR; j++) {
        if (j < count) {
          const float *source = b + (int64_t)(j0 + q + j) * ldb + p0;
          for (int p = 0; p < depth; p++) panel[(int64_t)p * NR + j] = source[p];
        } else {
          for (int p = 0; p < depth; p++) panel[(int64_t)p * NR + j] = 0.0f;
        }
      }
    } else {
      for (int p = 0; p < depth; p++) {
        const float *source = b + (int64_t)(p0 + p) * ldb + j0 + q;
        float *target = panel + (int64_t)p * NR;
        memcpy(target, source, (size_t)count * sizeof(float));
        for (int j = count; j < NR; j++) target[j] = 0.0f;
      }
    }
  }
}

// The MR × NR block of C at c: the sum over `depth` of the packed panels' outer products, plus C
// itself (accumulate) or the bias (first pass), then ReLU (last pass). Only `rows` rows and the
// columns of mask0 / mask1 are written.
static void micro_kernel(int depth, const float *restrict a, const float *restrict b, float *c, int64_t ldc, int rows, __mmask16 mask0, __mmask16 mask1,
                         int accumulate, const float *bias, int relu) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 ca0 = _mm512_setzero_ps(), ca1 = _mm512_setzero_ps(), cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
#define FLOWS_RANK1(r, q)                     \
  {                                           \
    __m512 x = _mm512_set1_ps(a[r]);          \
    c##q##0 = _mm512_fmadd_ps(x, b0, c##q##0); \
    c##q##1 = _mm512_fmadd_ps(x, b1, c##q##1); \
  }
  for (int p = 0; p < depth; p++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
    FLOWS_RANK1(0, 0) FLOWS_RANK1(1, 1) FLOWS_RANK1(2, 2) FLOWS_RANK1(3, 3) FLOWS_RANK1(4, 4) FLOWS_RANK1(5, 5)
    FLOWS_RANK1(6, 6) FLOWS_RANK1(7, 7) FLOWS_RANK1(8, 8) FLOWS_RANK1(9, 9) FLOWS_RANK1(10, a) FLOWS_RANK1(11, b)
    a += MR;
    b += NR;
  }
#undef FLOWS_RANK1
  __m512 add0 = _mm512_setzero_ps(), add1 = _mm512_setzero_ps(), zero = _mm512_setzero_ps();
  if (!accumulate && bias) {
    add0 = _mm512_maskz_loadu_ps(mask0, bias);
    add1 = _mm512_maskz_loadu_ps(mask1, bias + 16);
  }
#define FLOWS_STORE(r, q)                                                                \
  if (r < rows) {                                                                        \
    float *row = c + (int64_t)(r) * ldc;                                                 \
    __m512 x0 = c##q##0, x1 = c##q##1;                                                   \
    if (accumulate) {                                                                    \
      x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(mask0, row));                         \
      x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(mask1, row + 16));                    \
    } else {                                                                             \
      x0 = _mm512_add_ps(x0, add0);                                                      \
      x1 = _mm512_add_ps(x1, add1);                                                      \
    }                                                                                    \
    if (relu) {                                                                          \
      x0 = _mm512_max_ps(x0, zero);                                                      \
      x1 = _mm512_max_ps(x1, zero);                                                      \
    }                                                                                    \
    _mm512_mask_storeu_ps(row, mask0, x0);                                               \
    _mm512_mask_storeu_ps(row + 16, mask1, x1);                                          \
  }
  FLOWS_STORE(0, 0) FLOWS_STORE(1, 1) FLOWS_STORE(2, 2) FLOWS_STORE(3, 3) FLOWS_STORE(4, 4) FLOWS_STORE(5, 5)
  FLOWS_STORE(6, 6) FLOWS_STORE(7, 7) FLOWS_STORE(8, 8) FLOWS_STORE(9, 9) FLOWS_STORE(10, a) FLOWS_STORE(11, b)
#undef FLOWS_STORE
}

typedef struct {
  int transA, transB, m, n, k, lda, ldb, ldc, relu, rowsPerShare;
  const float *a, *b, *bias;
  float *c;
  int failed;
} Product;

// Rows [first, last) of C, on one thread.
static void product_rows(Product *g, int first, int last) {
  float *bufferB = grow(&packed_b, &packed_b_size, (size_t)KC * (((NC + NR - 1) / NR) * NR));
  float *bufferA = grow(&packed_a, &packed_a_size, (size_t)KC * (((MC + MR - 1) / MR) * MR));
  if (!bufferA || !bufferB) {
    g->failed = 1;
    return;
  }
  for (int j0 = 0; j0 < g->n; j0 += NC) {
    int columns = g->n - j0 < NC ? g->n - j0 : NC;
    // Depth blocks of equal size (784 = 4 × 196, not 3 × 256 + 16: a thin last block pays a whole pass over C).
    int blocks = (g->k + KC - 1) / KC, blockDepth = (g->k + blocks - 1) / blocks;
    for (int p0 = 0; p0 < g->k; p0 += blockDepth) {
      int depth = g->k - p0 < blockDepth ? g->k - p0 : blockDepth;
      int accumulate = p0 > 0, relu = g->relu && p0 + depth >= g->k;
      pack_b(g->transB, g->b, g->ldb, p0, depth, j0, columns, bufferB);
      for (int i0 = first; i0 < last; i0 += MC) {
        int rows = last - i0 < MC ? last - i0 : MC;
        pack_a(g->transA, g->a, g->lda, i0, rows, p0, depth, bufferA);
        for (int q = 0; q < columns; q += NR) {
          int count = columns - q < NR ? columns - q : NR;
          __mmask16 mask0 = count >= 16 ? 0xffff : (__mmask16)((1u << count) - 1);
          __mmask16 mask1 = count >= 32 ? 0xffff : count <= 16 ? 0 : (__mmask16)((1u << (count - 16)) - 1);
          const float *bias = g->bias ? g->bias + j0 + q : NULL;
          for (int r = 0; r < rows; r += MR) {
            micro_kernel(depth, bufferA + (int64_t)r * depth, bufferB + (int64_t)q * depth, g->c + (int64_t)(i0 + r) * g->ldc + j0 + q, g->ldc,
                         rows - r < MR ? rows - r : MR, mask0, mask1, accumulate, bias, relu);
          }
        }
      }
    }
  }
}

static void product_share(void *context, int index, int count) {
  Product *g = (Product *)context;
  (void)count;
  int first = index * g->rowsPerShare;
  int last = first + g->rowsPerShare < g->m ? first + g->rowsPerShare : g->m;
  if (first < last) product_rows(g, first, last);
}

int gemm_avx512(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
                int threads) {
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    // An empty sum: the bias (or zeros), then ReLU.
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float x = bias ? bias[j] : 0.0f;
        c[(int64_t)i * ldc + j] = relu && x < 0.0f ? 0.0f : x;
      }
    return 0;
  }
  Product g = {transA, transB, m, n, k, lda, ldb, ldc, relu, 0, a, b, bias, c, 0};
  // Whole MR-row panels per thread, and threads only where each gets enough work (2^21 multiply-adds).
  int64_t work = (int64_t)m * n * k;
  int most = (int)(work >> 21);
  if (threads > most) threads = most < 1 ? 1 : most;
  int panels = (m + MR - 1) / MR;
  if (threads > panels) threads = panels;
  if (threads < 1) threads = 1;
  g.rowsPerShare = ((panels + threads - 1) / threads) * MR;
  pool_run(threads, product_share, &g);
  return g.failed ? -1 : 0;
}

#endif
