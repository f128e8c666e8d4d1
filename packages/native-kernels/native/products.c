// Matrix products for TensorFlow.js's wasm backend, computed on the tensors' own memory: the wasm
// heap is passed in as a Float32Array and the operands as element offsets, so nothing is copied.
// C = op(A) op(B) (+ bias) (then ReLU), for `batch` independent products, by the addon's own
// AVX-512 kernel (gemm-avx512.c) where it suits, else OpenBLAS's cblas_sgemm.
#include "addon.h"
#include <cblas.h>
#include "isa.h"

// Whether matrix products use the addon's own AVX-512 kernel where the path in use has it (1) or always OpenBLAS (0).
static int own_products = 1;

int flows_own_products(void) { return own_products; }

// Whether the own kernel suits a product: its 32-column panels waste most of their lanes on narrow
// products (the multi-scale flow's 1 × 1 convolutions are 4- and 8-column products), and its
// transposed-A packing loses on short wide panels; OpenBLAS is faster on both. The dense layers'
// products (n ≥ 256) are where it wins over OpenBLAS under this machine's Haswell setting.
// (The convolutions keep OpenBLAS: their im2col blocks are already packed, and the own kernel's
// second packing left a multi-scale training no faster.) The measurements: bench/results.md.
static int own_product_suits(int transA, int n, int k) {
  return own_products && flows_isa()->gemm && n >= 32 && k >= 16 && !(transA && n < 64);
}

// The convolutions' products are tall and narrow (12 544 × 288 by 288 × 32 for a 3 × 3, 32-channel
// layer at batch 64 on 14 × 14): OpenBLAS's threads cost more than they save there (a multi-scale
// flow's step was slower with two threads than with one: bench/results.md), so they run on one.
int flows_single_threaded_begin(void) {
  int threads = openblas_get_num_threads();
  if (threads != 1) openblas_set_num_threads(1);
  return threads;
}
void flows_single_threaded_end(int threads) {
  if (threads != 1) openblas_set_num_threads(threads);
}
// C = op(A) op(B) (+ bias) (then ReLU) for one product, by the own AVX-512 kernel where it suits
// (on `threads` threads of the pool), else OpenBLAS (on its configured threads; a caller that runs
// this inside a pool task sets OpenBLAS to one thread first). Returns 0.
int flows_product(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
                  int threads) {
  if (m <= 0 || n <= 0) return 0;
  if (own_product_suits(transA, n, k) && flows_isa()->gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, bias, relu, threads) == 0) return 0;
  float beta = 0.0f;
  if (bias) {
    for (int row = 0; row < m; row++) for (int col = 0; col < n; col++) c[(int64_t)row * ldc + col] = bias[col];
    beta = 1.0f;
  }
  if (k > 0) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  } else if (!bias) {
    for (int row = 0; row < m; row++) for (int col = 0; col < n; col++) c[(int64_t)row * ldc + col] = 0.0f;
  }
  if (relu)
    for (int row = 0; row < m; row++) {
      float *out = c + (int64_t)row * ldc;
      for (int col = 0; col < n; col++) out[col] = out[col] < 0 ? 0.0f : out[col];  // a select: vectorizes (see convolution.c)
    }
  return 0;
}

// sgemm(heap, aOffset, bOffset, cOffset, m, n, k, transA, transB, biasOffset (-1: none), relu, batch, aStride, bStride)
napi_value flows_sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.sgemm", 14, argv, &length);
  if (!heap) return NULL;
  int64_t a = flows_get_int(env, argv[1]), b = flows_get_int(env, argv[2]), c = flows_get_int(env, argv[3]);
  int m = (int)flows_get_int(env, argv[4]), n = (int)flows_get_int(env, argv[5]), k = (int)flows_get_int(env, argv[6]);
  int transA = (int)flows_get_int(env, argv[7]), transB = (int)flows_get_int(env, argv[8]);
  int64_t bias = flows_get_int(env, argv[9]);
  int relu = (int)flows_get_int(env, argv[10]);
  int batch = (int)flows_get_int(env, argv[11]);
  int64_t aStride = flows_get_int(env, argv[12]), bStride = flows_get_int(env, argv[13]);
  int64_t last = c + (int64_t)batch * m * n;
  if (a < 0 || b < 0 || c < 0 || last > (int64_t)length) { napi_throw_range_error(env, NULL, "flows_blas.sgemm: operands outside the heap"); return NULL; }
  // The own AVX-512 product where it runs (gemm-avx512.c: this machine's OpenBLAS is held to AVX2).
  if (own_product_suits(transA, n, k)) {
    int configured = openblas_get_num_threads(), handled = 1;
    for (int i = 0; i < batch && handled; i++)
      handled = flows_isa()->gemm(transA, transB, m, n, k, heap + a + i * aStride, transA ? m : k, heap + b + i * bStride, transB ? k : n,
                                   heap + c + (int64_t)i * m * n, n, bias >= 0 ? heap + bias : NULL, relu, configured) == 0;
    if (handled) return NULL;
  }
  // Small products (a 1 × 1 convolution's 12 544 × 4 by 4 × 4) lose more to OpenBLAS's threads than they gain.
  int threads = (int64_t)batch * m * n * k < ((int64_t)1 << 22) ? flows_single_threaded_begin() : 1;
  for (int i = 0; i < batch; i++) {
    float *out = heap + c + (int64_t)i * m * n;
    float beta = 0.0f;
    if (bias >= 0) {
      for (int row = 0; row < m; row++) for (int col = 0; col < n; col++) out[(int64_t)row * n + col] = heap[bias + col];
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                heap + a + i * aStride, transA ? m : k, heap + b + i * bStride, transB ? k : n, beta, out, n);
    if (relu) for (int64_t j = 0; j < (int64_t)m * n; j++) out[j] = out[j] < 0 ? 0.0f : out[j];  // vectorizes (see convolution.c)
  }
  flows_single_threaded_end(threads);
  return NULL;
}

// products(useOwn?): sets whether products use the own AVX-512 kernel; returns 1 when they do (set, and the path in use has it), else 0.
napi_value flows_products(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) own_products = flows_get_int(env, argv[0]) != 0;
  napi_value result;
  napi_create_int32(env, own_products && flows_isa()->gemm != NULL, &result);
  return result;
}
