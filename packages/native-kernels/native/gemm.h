// The addon's own single-precision matrix product for CPUs with AVX-512 (see gemm-avx512.c).
#ifndef FLOWS_GEMM_H
#define FLOWS_GEMM_H

/**
 * C[m × n] = op(A)[m × k] · op(B)[k × n] (+ bias[n] on every row when given) (then ReLU),
 * row-major, op a transpose where transA / transB say; lda, ldb, ldc are row strides of A, B, C as
 * stored. The rows of C are split between `threads` threads of the pool (1: the calling thread
 * alone). Returns 0, or −1 where memory ran out (C is then incomplete: compute it again).
 *
 * Built into the avx512 path alone and reached through its table (isa.h: `flows_isa()->gemm`),
 * which isa.c selects only where the CPU runs AVX-512: call it through the table, never directly.
 */
int gemm_avx512(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
                int threads);

#endif
