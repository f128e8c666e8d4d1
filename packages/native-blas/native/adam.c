// The optimizer's passes over every parameter, as loops split between the threads.
#include "addon.h"
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
  AdamMoment a = {heap + moment, heap + gradient, heap + out, flows_get_float(env, argv[6]), flows_get_float(env, argv[7]), (int)flows_get_int(env, argv[5])};
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
