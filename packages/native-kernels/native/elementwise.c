// Elementwise functions for the wasm backend, whose own are scalar libm calls (40-100 M values/s
// here): vectorized loops over the polynomials of elementwise-math.h, in the path isa.h chose.
#include "addon.h"
#include "isa.h"

// unary(heap, op, inOffset, outOffset, size)
napi_value flows_unary(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.unary", 5, argv, &length);
  if (!heap) return NULL;
  int op = (int)flows_get_int(env, argv[1]);
  int64_t in = flows_get_int(env, argv[2]), out = flows_get_int(env, argv[3]), size = flows_get_int(env, argv[4]);
  if (in < 0 || out < 0 || size < 0 || in + size > (int64_t)length || out + size > (int64_t)length) { napi_throw_range_error(env, NULL, "flows_blas.unary: operands outside the heap"); return NULL; }
  if (op < 0 || op >= OP_COUNT) { napi_throw_range_error(env, NULL, "flows_blas.unary: unknown function"); return NULL; }
  flows_isa()->unary(op, heap + in, heap + out, size);
  return NULL;
}
