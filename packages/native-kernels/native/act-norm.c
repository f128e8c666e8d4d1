// ActNorm's density direction (Kingma and Dhariwal, "Glow", 2018), @flows/kernels' actNormInverse,
// and its gradient, one pass each over the rows (pixels) in place of a subtraction and a product
// forward and about eight wasm kernels backward (two of them reductions over every pixel, which the
// wasm backend computes by transposing first):
//   x = (y − b) ⊙ e^{−s}                                     (b, s per channel: the last axis)
//   ∂/∂y = g ⊙ e^{−s},  ∂/∂b = −Σ g ⊙ e^{−s},  ∂/∂s = −Σ g ⊙ (y − b) ⊙ e^{−s}
// Rows are split between the threads; each sums its rows' share of ∂/∂b and ∂/∂s in double. The
// passes are memory-bound (a few values per row): compiled for the baseline, like the rest of this file.
#include "addon.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "thread-pool.h"

typedef struct {
  const float *y, *b, *dx;
  float *x, *dy;
  float scale[256];  // e^{−s} per channel (at most 256 channels here; more take the stock kernels)
  double *sums;      // per thread: Σ g e^{−s} then Σ g (y − b) e^{−s}, `channels` each
  int64_t rows;
  int channels, threads;
} ActNorm;

static void rows_of(const ActNorm *a, int index, int64_t *first, int64_t *last) {
  *first = a->rows * index / a->threads;
  *last = a->rows * (index + 1) / a->threads;
}

static void act_norm_forward_share(void *context, int index, int count) {
  const ActNorm *a = (const ActNorm *)context;
  (void)count;
  int64_t first, last;
  rows_of(a, index, &first, &last);
  const int C = a->channels;
  for (int64_t r = first; r < last; r++) {
    const float *y = a->y + r * C;
    float *x = a->x + r * C;
    for (int c = 0; c < C; c++) x[c] = (y[c] - a->b[c]) * a->scale[c];
  }
}

static void act_norm_gradient_share(void *context, int index, int count) {
  const ActNorm *a = (const ActNorm *)context;
  (void)count;
  int64_t first, last;
  rows_of(a, index, &first, &last);
  const int C = a->channels;
  double *sumB = a->sums + (int64_t)index * 2 * C, *sumS = sumB + C;
  // Float partial sums over blocks of rows, added into the double totals: the inner loop vectorizes.
  float blockB[256], blockS[256];
  for (int c = 0; c < C; c++) sumB[c] = sumS[c] = 0.0;
  for (int64_t start = first; start < last; start += 256) {
    int64_t end = start + 256 < last ? start + 256 : last;
    for (int c = 0; c < C; c++) blockB[c] = blockS[c] = 0.0f;
    for (int64_t r = start; r < end; r++) {
      const float *g = a->dx + r * C, *y = a->y + r * C;
      float *dy = a->dy + r * C;
      for (int c = 0; c < C; c++) {
        float d = g[c] * a->scale[c];
        dy[c] = d;
        blockB[c] += d;
        blockS[c] += d * (y[c] - a->b[c]);
      }
    }
    for (int c = 0; c < C; c++) {
      sumB[c] += blockB[c];
      sumS[c] += blockS[c];
    }
  }
}

// Threads for `rows` rows of `channels` values (one per 2^15 values at most).
static int act_norm_threads(int64_t rows, int channels) {
  int threads = openblas_get_num_threads();
  int64_t most = rows * channels >> 15;
  if (threads > most) threads = most < 1 ? 1 : (int)most;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  return threads < 1 ? 1 : threads;
}

// actNormInverse(heap, y, bias, logScale, x, rows, channels)
napi_value flows_act_norm_inverse(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.actNormInverse", 7, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[4];
  for (int i = 0; i < 4; i++) offsets[i] = flows_get_int(env, argv[1 + i]);
  int64_t rows = flows_get_int(env, argv[5]), channels = flows_get_int(env, argv[6]);
  if (rows < 0 || channels < 1 || channels > 256) {
    napi_throw_range_error(env, NULL, "flows_blas.actNormInverse: 1 to 256 channels");
    return NULL;
  }
  const int64_t extents[4] = {rows * channels, channels, channels, rows * channels};
  if (!flows_operands_fit(env, "flows_blas.actNormInverse", length, 4, offsets, extents)) return NULL;
  ActNorm a;
  memset(&a, 0, sizeof a);
  a.y = heap + offsets[0];
  a.b = heap + offsets[1];
  a.x = heap + offsets[3];
  a.rows = rows;
  a.channels = (int)channels;
  for (int c = 0; c < a.channels; c++) a.scale[c] = expf(-heap[offsets[2] + c]);
  a.threads = act_norm_threads(rows, a.channels);
  pool_run(a.threads, act_norm_forward_share, &a);
  return NULL;
}

// actNormInverseGradient(heap, dx, y, bias, logScale, dy, dBias, dLogScale, rows, channels)
napi_value flows_act_norm_inverse_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.actNormInverseGradient", 10, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[7];
  for (int i = 0; i < 7; i++) offsets[i] = flows_get_int(env, argv[1 + i]);
  int64_t rows = flows_get_int(env, argv[8]), channels = flows_get_int(env, argv[9]);
  if (rows < 0 || channels < 1 || channels > 256) {
    napi_throw_range_error(env, NULL, "flows_blas.actNormInverseGradient: 1 to 256 channels");
    return NULL;
  }
  const int64_t extents[7] = {rows * channels, rows * channels, channels, channels, rows * channels, channels, channels};
  if (!flows_operands_fit(env, "flows_blas.actNormInverseGradient", length, 7, offsets, extents)) return NULL;
  ActNorm a;
  memset(&a, 0, sizeof a);
  a.dx = heap + offsets[0];
  a.y = heap + offsets[1];
  a.b = heap + offsets[2];
  a.dy = heap + offsets[4];
  a.rows = rows;
  a.channels = (int)channels;
  for (int c = 0; c < a.channels; c++) a.scale[c] = expf(-heap[offsets[3] + c]);
  a.threads = act_norm_threads(rows, a.channels);
  a.sums = (double *)malloc((size_t)a.threads * 2 * a.channels * sizeof(double));
  if (!a.sums) {
    napi_throw_error(env, NULL, "flows_blas.actNormInverseGradient: out of memory");
    return NULL;
  }
  pool_run(a.threads, act_norm_gradient_share, &a);
  for (int c = 0; c < a.channels; c++) {
    double b = 0.0, s = 0.0;
    for (int t = 0; t < a.threads; t++) {
      b += a.sums[(int64_t)t * 2 * a.channels + c];
      s += a.sums[(int64_t)t * 2 * a.channels + a.channels + c];
    }
    heap[offsets[5] + c] = (float)-b;
    heap[offsets[6] + c] = (float)-s;
  }
  free(a.sums);
  return NULL;
}
