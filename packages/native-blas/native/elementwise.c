// Elementwise functions for the wasm backend, whose own are scalar libm calls (40-100 M values/s
// here): vectorized loops over the polynomials of elementwise-math.h.
#include "addon.h"
#include "elementwise-math.h"

enum { OP_EXP = 0, OP_LOG1P = 1, OP_SOFTPLUS = 2, OP_TANH = 3 };

// unary(heap, op, inOffset, outOffset, size)
napi_value flows_unary(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.unary", 5, argv, &length);
  if (!heap) return NULL;
  int op = (int)flows_get_int(env, argv[1]);
  int64_t in = flows_get_int(env, argv[2]), out = flows_get_int(env, argv[3]), size = flows_get_int(env, argv[4]);
  if (in < 0 || out < 0 || size < 0 || in + size > (int64_t)length || out + size > (int64_t)length) { napi_throw_range_error(env, NULL, "flows_blas.unary: operands outside the heap"); return NULL; }
  const float *x = heap + in;
  float *y = heap + out;
  switch (op) {
    case OP_EXP: for (int64_t i = 0; i < size; i++) y[i] = exp_f(x[i]); break;
    case OP_LOG1P: for (int64_t i = 0; i < size; i++) y[i] = log1p_f(x[i]); break;
    case OP_SOFTPLUS: for (int64_t i = 0; i < size; i++) y[i] = softplus_f(x[i]); break;
    case OP_TANH: for (int64_t i = 0; i < size; i++) y[i] = tanh_f(x[i]); break;
    default: napi_throw_range_error(env, NULL, "flows_blas.unary: unknown function"); return NULL;
  }
  return NULL;
}
