// A slice of a 4-byte tensor (float32, int32) on the wasm heap. The wasm backend copies a slice
// that is not one contiguous block with a JavaScript loop of typed-array copies, one per run of its
// last axis: taking half the channels of a [256, 14, 14, 4] image (the multi-scale flow's factoring
// out) is 50 176 copies of two values; here one loop.
#include "addon.h"
#include <stdint.h>
#include <string.h>

#define SLICE_MAX_RANK 8

// slice(heap, x, out, plan): plan = [rank, shape…, begin…, size…] (rank at most 8).
napi_value flows_slice(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.slice", 4, argv, &length);
  if (!heap) return NULL;
  int64_t x = flows_get_int(env, argv[1]), out = flows_get_int(env, argv[2]);
  napi_typedarray_type type;
  size_t count;
  void *data;
  if (napi_get_typedarray_info(env, argv[3], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_float64_array || count < 1) {
    napi_throw_type_error(env, NULL, "flows_blas.slice: the plan must be a Float64Array");
    return NULL;
  }
  const double *plan = (const double *)data;
  int rank = (int)plan[0];
  if (rank < 1 || rank > SLICE_MAX_RANK || count != (size_t)(1 + 3 * rank)) {
    napi_throw_range_error(env, NULL, "flows_blas.slice: a plan of rank 1-8 with its shape, begin and size");
    return NULL;
  }
  int64_t shape[SLICE_MAX_RANK], begin[SLICE_MAX_RANK], size[SLICE_MAX_RANK], stride[SLICE_MAX_RANK];
  int64_t inputSize = 1, outputSize = 1;
  for (int a = 0; a < rank; a++) {
    shape[a] = (int64_t)plan[1 + a];
    begin[a] = (int64_t)plan[1 + rank + a];
    size[a] = (int64_t)plan[1 + 2 * rank + a];
    if (shape[a] < 0 || begin[a] < 0 || size[a] < 0 || begin[a] + size[a] > shape[a]) {
      napi_throw_range_error(env, NULL, "flows_blas.slice: the slice leaves the tensor");
      return NULL;
    }
    inputSize *= shape[a];
    outputSize *= size[a];
  }
  const int64_t offsets[2] = {x, out}, extents[2] = {inputSize, outputSize};
  if (!flows_operands_fit(env, "flows_blas.slice", length, 2, offsets, extents)) return NULL;
  if (outputSize == 0) return NULL;
  stride[rank - 1] = 1;
  for (int a = rank - 2; a >= 0; a--) stride[a] = stride[a + 1] * shape[a + 1];
  // Values as 4-byte words, whatever their type.
  const uint32_t *source = (const uint32_t *)(heap + x);
  uint32_t *target = (uint32_t *)(heap + out);
  int64_t run = size[rank - 1], runs = outputSize / run;
  int64_t index[SLICE_MAX_RANK] = {0};
  for (int64_t r = 0; r < runs; r++) {
    // The run's first value: begin + index along every axis but the last.
    int64_t at = begin[rank - 1];
    for (int a = 0; a < rank - 1; a++) at += (begin[a] + index[a]) * stride[a];
    const uint32_t *from = source + at;
    if (run < 16)
      for (int64_t k = 0; k < run; k++) target[k] = from[k];
    else
      memcpy(target, from, (size_t)run * sizeof(uint32_t));
    target += run;
    for (int a = rank - 2; a >= 0; a--) {
      if (++index[a] < size[a]) break;
      index[a] = 0;
    }
  }
  return NULL;
}
