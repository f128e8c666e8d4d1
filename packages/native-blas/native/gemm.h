// The addon's own single-precision matrix product for CPUs with AVX-512 (see gemm-avx512.c).
#ifndef FLOWS_GEMM_H
#define FLOWS_GEMM_H

/** Whether gemm_avx512 runs here: built with AVX-512 and the CPU has it. */
int gemm_avx512_available(void);

/**
 * C[m × n] = op(A)[m × k] · op(B)[k × n] (+ bias[n] on every row when given) (then ReLU),
 * row-major, op a transpose where transA / transB say; lda, ldb, ldc are row strides of A, B, C as
 * stored. The rows of C are split between `threads` threads of the pool (1: the calling thread
 * alone). Returns 0, or −1 where gemm_avx512_available() is 0 or memory ran out (C is then
 * incomplete: compute it again).
 */
int gemm_avx512(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
                int threads);

#endif
