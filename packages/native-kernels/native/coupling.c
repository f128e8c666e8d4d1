// The masked affine coupling's density direction (Dinh, Sohl-Dickstein and Bengio, "Density
// estimation using Real NVP", ICLR 2017), @flows/kernels' affineCouplingInverse, in one pass over
// each row instead of about ten wasm kernels forward and twenty backward:
//   s = c ⊙ a(r) ⊙ m̄,  x = (y − t ⊙ m̄) ⊙ e^{−s},  log-det = −Σ s   (a = tanh or the identity)
// and its gradient, with g_x, g_l the incoming gradients of x and of the log-det:
//   ∂/∂y = g_x e^{−s},  ∂/∂t = −g_x e^{−s} m̄,  ∂/∂r = −(g_x x + g_l) c m̄ a′(r),  ∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r).
// Rows are split between the threads; each thread sums its rows' share of ∂/∂c. The loops over a
// row are in coupling-loops.c, once per instruction set (isa.h).
#include "addon.h"
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "thread-pool.h"

// The rows [first, last) of share `index` (empty past the batch).
static void coupling_rows(const Coupling *k, int index, int64_t *first, int64_t *last) {
  *first = index * k->rowsPerShare < k->batch ? index * k->rowsPerShare : k->batch;
  *last = *first + k->rowsPerShare < k->batch ? *first + k->rowsPerShare : k->batch;
}

static void coupling_forward_share(void *context, int index, int count) {
  const Coupling *k = (const Coupling *)context;
  (void)count;
  int64_t first, last;
  coupling_rows(k, index, &first, &last);
  flows_isa()->coupling_forward_rows(k, first, last);
}

static void coupling_gradient_share(void *context, int index, int count) {
  const Coupling *k = (const Coupling *)context;
  (void)count;
  int64_t first, last;
  coupling_rows(k, index, &first, &last);
  float *dc = k->partials + index * k->size;
  for (int64_t d = 0; d < k->size; d++) dc[d] = 0.0f;
  flows_isa()->coupling_gradient_rows(k, first, last, dc);
}

// Threads for the coupling's rows (one per 2^14 values at most), and each share's rows.
static int share_coupling_rows(Coupling *k) {
  int threads = openblas_get_num_threads();
  int64_t most = k->batch * k->size >> 14;
  if (threads > most) threads = most < 1 ? 1 : (int)most;
  if (threads > k->batch) threads = k->batch < 1 ? 1 : (int)k->batch;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  k->rowsPerShare = (k->batch + threads - 1) / threads;
  return threads;
}

// couplingInverse(heap, y, r, t, m, c, x, logDet, batch, size, tanh)
napi_value flows_coupling_inverse(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.couplingInverse", 11, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[7];
  for (int i = 0; i < 7; i++) offsets[i] = flows_get_int(env, argv[1 + i]);
  int64_t batch = flows_get_int(env, argv[8]), size = flows_get_int(env, argv[9]);
  if (batch < 0 || size < 0) batch = size = -1;
  const int64_t extents[7] = {batch * size, batch * size, batch * size, size, size, batch * size, batch};
  if (!flows_operands_fit(env, "flows_blas.couplingInverse", length, 7, offsets, extents)) return NULL;
  Coupling k;
  memset(&k, 0, sizeof k);
  k.y = heap + offsets[0]; k.r = heap + offsets[1]; k.t = heap + offsets[2]; k.m = heap + offsets[3]; k.c = heap + offsets[4];
  k.x = heap + offsets[5]; k.logDet = heap + offsets[6];
  k.batch = batch; k.size = size; k.tanh = (int)flows_get_int(env, argv[10]);
  int threads = share_coupling_rows(&k);
  pool_run(threads, coupling_forward_share, &k);
  return NULL;
}

// couplingInverseGradient(heap, dx, dl, y, r, t, m, c, dy, dt, dr, dc, batch, size, tanh)
napi_value flows_coupling_inverse_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.couplingInverseGradient", 15, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[11];
  for (int i = 0; i < 11; i++) offsets[i] = flows_get_int(env, argv[1 + i]);
  int64_t batch = flows_get_int(env, argv[12]), size = flows_get_int(env, argv[13]);
  int64_t full = batch * size;
  if (batch < 0 || size < 0) batch = size = full = -1;
  const int64_t extents[11] = {full, batch, full, full, full, size, size, full, full, full, size};
  if (!flows_operands_fit(env, "flows_blas.couplingInverseGradient", length, 11, offsets, extents)) return NULL;
  Coupling k;
  memset(&k, 0, sizeof k);
  k.dx = heap + offsets[0]; k.dl = heap + offsets[1]; k.y = heap + offsets[2]; k.r = heap + offsets[3]; k.t = heap + offsets[4];
  k.m = heap + offsets[5]; k.c = heap + offsets[6]; k.dy = heap + offsets[7]; k.dt = heap + offsets[8]; k.dr = heap + offsets[9];
  k.dc = heap + offsets[10];
  k.batch = batch; k.size = size; k.tanh = (int)flows_get_int(env, argv[14]);
  int threads = share_coupling_rows(&k);
  k.partials = (float *)malloc((size_t)(threads * size > 0 ? threads * size : 1) * sizeof(float));
  if (!k.partials) { napi_throw_error(env, NULL, "flows_blas.couplingInverseGradient: out of memory"); return NULL; }
  pool_run(threads, coupling_gradient_share, &k);
  for (int64_t d = 0; d < size; d++) {
    float total = 0.0f;
    for (int t = 0; t < threads; t++) total += k.partials[t * size + d];
    k.dc[d] = -k.m[d] * total;
  }
  free(k.partials);
  return NULL;
}
