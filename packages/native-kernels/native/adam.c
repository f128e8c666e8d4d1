// The optimizer's passes over every parameter, as loops split between the threads.
#include "addon.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "thread-pool.h"

// Elementwise work over large flat buffers, split into contiguous ranges, one per configured thread
// (setThreads), for the optimizer's passes over every parameter: at 7.5 M parameters they are
// memory-bound, and one core does not saturate the memory bus.
typedef void (*RangeBody)(void *context, int64_t first, int64_t last);

typedef struct {
  RangeBody body;
  void *context;
  int64_t size, perShare;
} Ranges;

static void range_share(void *context, int index, int count) {
  const Ranges *r = (const Ranges *)context;
  (void)count;
  int64_t first = index * r->perShare, last = first + r->perShare;
  if (first > r->size) first = r->size;
  if (last > r->size) last = r->size;
  if (first < last) r->body(r->context, first, last);
}

// Below 2^16 values a thread costs more than it saves.
static void parallel_for(int64_t size, RangeBody body, void *context) {
  int threads = openblas_get_num_threads();
  int64_t most = size >> 16;
  if (threads > most) threads = most < 1 ? 1 : (int)most;
  if (threads <= 1) { body(context, 0, size); return; }
  // Shares aligned to 16 values (a 64-byte line) so that no two threads write one cache line.
  Ranges ranges = {body, context, size, ((size + threads - 1) / threads + 15) & ~(int64_t)15};
  pool_run(threads, range_share, &ranges);
}

// Adam (Kingma and Ba 2015), the two operations of @flows/kernels' `adamMoment` and `adamParameter`;
// the loops, and their formulas, are in adam-loops.c, once per instruction set (isa.h).

// adamMoment(heap, moment, gradient, out, size, second (0/1), beta, scale)
napi_value flows_adam_moment(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.adamMoment", 8, argv, &length);
  if (!heap) return NULL;
  int64_t moment = flows_get_int(env, argv[1]), gradient = flows_get_int(env, argv[2]), out = flows_get_int(env, argv[3]), size = flows_get_int(env, argv[4]);
  const int64_t offsets[3] = {moment, gradient, out}, extents[3] = {size, size, size};
  if (!flows_operands_fit(env, "flows_blas.adamMoment", length, 3, offsets, extents)) return NULL;
  double beta = 0;
  napi_get_value_double(env, argv[6], &beta);
  AdamMoment a = {heap + moment, heap + gradient, heap + out, (float)beta, (float)(1.0 - beta), flows_get_float(env, argv[7]), (int)flows_get_int(env, argv[5])};
  parallel_for(size, flows_isa()->adam_moment_range, &a);
  return NULL;
}

// adamParameter(heap, parameter, firstMoment, secondMoment, out, size, offset, stepSize, inverseCorrection2, epsilon, decay);
// the moments are the flat buffers of every parameter, read from `offset`.
napi_value flows_adam_parameter(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.adamParameter", 11, argv, &length);
  if (!heap) return NULL;
  int64_t parameter = flows_get_int(env, argv[1]), first = flows_get_int(env, argv[2]), second = flows_get_int(env, argv[3]), out = flows_get_int(env, argv[4]);
  int64_t size = flows_get_int(env, argv[5]), offset = flows_get_int(env, argv[6]);
  if (offset < 0) size = -1;  // an offset before the moments: reported as outside the heap
  const int64_t offsets[4] = {parameter, first + offset, second + offset, out}, extents[4] = {size, size, size, size};
  if (!flows_operands_fit(env, "flows_blas.adamParameter", length, 4, offsets, extents)) return NULL;
  AdamParameter a = {heap + parameter, heap + first + offset, heap + second + offset, heap + out,
                     flows_get_float(env, argv[7]), flows_get_float(env, argv[8]), flows_get_float(env, argv[9]), flows_get_float(env, argv[10])};
  parallel_for(size, flows_isa()->adam_parameter_range, &a);
  return NULL;
}

// The whole update in one pass (@flows/kernels' adamUpdate): every variable's gradient read where
// it lies (no flat copy), the moments and parameters written once, in place where the caller passes
// each output as its input. The flat index range is split between the threads in 16-value-aligned
// shares; each share walks the variables it overlaps.
typedef struct {
  int count, threads;
  int64_t total, perShare;
  const int64_t *start, *size;       // each variable's place in the flat moments, and its size
  const float *const *parameter, *const *gradient;
  float *const *parameterOut;
  const float *first, *second;
  float *firstOut, *secondOut;
  float beta1, rest1, beta2, rest2, scale, stepSize, inverseCorrection2, epsilon, decay;
  int inPlace;
  float partial[POOL_MAX_THREADS];
} AdamWhole;

static void whole_share(const AdamWhole *w, int index, int64_t *first, int64_t *last) {
  *first = index * w->perShare < w->total ? index * w->perShare : w->total;
  *last = *first + w->perShare < w->total ? *first + w->perShare : w->total;
}

static void squares_share(void *context, int index, int count) {
  AdamWhole *w = (AdamWhole *)context;
  (void)count;
  int64_t first, last;
  whole_share(w, index, &first, &last);
  float total = 0.0f;
  for (int v = 0; v < w->count; v++) {
    int64_t a = w->start[v] > first ? w->start[v] : first, b = w->start[v] + w->size[v] < last ? w->start[v] + w->size[v] : last;
    if (a < b) total += flows_isa()->sum_of_squares(w->gradient[v], a - w->start[v], b - w->start[v]);
  }
  w->partial[index] = total;
}

static void update_share(void *context, int index, int count) {
  const AdamWhole *w = (const AdamWhole *)context;
  (void)count;
  int64_t first, last;
  whole_share(w, index, &first, &last);
  for (int v = 0; v < w->count; v++) {
    int64_t a = w->start[v] > first ? w->start[v] : first, b = w->start[v] + w->size[v] < last ? w->start[v] + w->size[v] : last;
    if (a >= b) continue;
    int64_t o = w->start[v];
    AdamFused f = {w->parameter[v], w->gradient[v], w->first + o, w->second + o, w->parameterOut[v], w->firstOut + o, w->secondOut + o,
                   w->beta1, w->rest1, w->beta2, w->rest2, w->scale, w->stepSize, w->inverseCorrection2, w->epsilon, w->decay};
    if (w->inPlace)
      flows_isa()->adam_update_in_place_range(&f, a - o, b - o);
    else
      flows_isa()->adam_update_range(&f, a - o, b - o);
  }
}

#define ADAM_HEAD 13
// adamUpdate(heap, plan): plan = [count, total, beta1, beta2, clipNorm, stepSize, inverseCorrection2,
// epsilon, decay, first, second, firstOut, secondOut, then per variable: size, parameter, gradient,
// parameterOut]. Offsets are checked against the heap and the sizes against the total.
napi_value flows_adam_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.adamUpdate", 2, argv, &length);
  if (!heap) return NULL;
  napi_typedarray_type type;
  size_t count;
  void *data;
  napi_value buffer;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, argv[1], &type, &count, &data, &buffer, &byteOffset) != napi_ok || type != napi_float64_array || count < ADAM_HEAD) {
    napi_throw_type_error(env, NULL, "flows_blas.adamUpdate: the plan must be a Float64Array");
    return NULL;
  }
  const double *plan = (const double *)data;
  int variables = (int)plan[0];
  int64_t total = (int64_t)plan[1];
  if (variables < 0 || total < 0 || count != (size_t)ADAM_HEAD + 4 * (size_t)variables) {
    napi_throw_range_error(env, NULL, "flows_blas.adamUpdate: the plan's length does not match its variables");
    return NULL;
  }
  // One allocation for the variables' tables: starts, sizes, then the three pointer lists.
  size_t tableBytes = (size_t)(variables > 0 ? variables : 1) * (2 * sizeof(int64_t) + 3 * sizeof(float *));
  char *tables = (char *)malloc(tableBytes);
  int64_t *offsets = (int64_t *)malloc(((size_t)4 + 3 * (size_t)variables) * 2 * sizeof(int64_t));
  if (!tables || !offsets) {
    free(tables);
    free(offsets);
    napi_throw_error(env, NULL, "flows_blas.adamUpdate: out of memory");
    return NULL;
  }
  int64_t *start = (int64_t *)tables, *size = start + variables;
  const float **parameter = (const float **)(size + variables), **gradient = parameter + variables;
  float **parameterOut = (float **)(gradient + variables);
  int64_t *extents = offsets + 4 + 3 * variables;
  int64_t at = 0;
  for (int i = 0; i < 4; i++) {
    offsets[i] = (int64_t)plan[9 + i];
    extents[i] = total;
  }
  for (int v = 0; v < variables; v++) {
    const double *entry = plan + ADAM_HEAD + 4 * v;
    size[v] = (int64_t)entry[0];
    start[v] = at;
    at += size[v] > 0 ? size[v] : 0;
    for (int j = 0; j < 3; j++) {
      offsets[4 + 3 * v + j] = (int64_t)entry[1 + j];
      extents[4 + 3 * v + j] = size[v];
    }
  }
  int fits = at == total;
  if (!fits) napi_throw_range_error(env, NULL, "flows_blas.adamUpdate: the variables' sizes do not add up to the moments' length");
  if (fits && flows_operands_fit(env, "flows_blas.adamUpdate", length, 4 + 3 * variables, offsets, extents)) {
    for (int v = 0; v < variables; v++) {
      parameter[v] = heap + offsets[4 + 3 * v];
      gradient[v] = heap + offsets[4 + 3 * v + 1];
      parameterOut[v] = heap + offsets[4 + 3 * v + 2];
    }
    AdamWhole w;
    memset(&w, 0, sizeof w);
    w.count = variables;
    w.total = total;
    w.start = start;
    w.size = size;
    w.parameter = parameter;
    w.gradient = gradient;
    w.parameterOut = parameterOut;
    w.first = heap + offsets[0];
    w.second = heap + offsets[1];
    w.firstOut = heap + offsets[2];
    w.secondOut = heap + offsets[3];
    // In place (every output its input, as the caller asks where nothing else references that
    // memory) or into fresh outputs; a mix is not asked for.
    w.inPlace = w.firstOut == w.first && w.secondOut == w.second;
    for (int v = 0; v < variables; v++) w.inPlace = w.inPlace && parameterOut[v] == parameter[v];
    w.beta1 = (float)plan[2];
    w.rest1 = (float)(1.0 - plan[2]);
    w.beta2 = (float)plan[3];
    w.rest2 = (float)(1.0 - plan[3]);
    float clipNorm = (float)plan[4];
    w.stepSize = (float)plan[5];
    w.inverseCorrection2 = (float)plan[6];
    w.epsilon = (float)plan[7];
    w.decay = (float)plan[8];
    int threads = openblas_get_num_threads();
    int64_t most = total >> 16;  // below 2^16 values a thread costs more than it saves
    if (threads > most) threads = most < 1 ? 1 : (int)most;
    if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
    w.threads = threads;
    w.perShare = ((total + threads - 1) / threads + 15) & ~(int64_t)15;
    w.scale = 1.0f;
    if (clipNorm > 0.0f) {
      // The clip factor min(1, clipNorm / max(√S, 10⁻¹²)) in float32, as the reference computes it.
      pool_run(threads, squares_share, &w);
      float squares = 0.0f;
      for (int t = 0; t < threads; t++) squares += w.partial[t];
      float root = sqrtf(squares), floor = 1e-12f;
      float ratio = clipNorm / (root > floor ? root : floor);
      w.scale = ratio < 1.0f ? ratio : 1.0f;
    }
    pool_run(threads, update_share, &w);
  }
  free(tables);
  free(offsets);
  return NULL;
}
