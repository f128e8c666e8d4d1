// What the addon's sources share: the N-API argument helpers (addon.c), OpenBLAS's thread setting
// (products.c), and each family's functions that JavaScript calls, which addon.c's init exports.
// Every operand is an element offset into the wasm heap, passed as a Float32Array: nothing is copied.
#ifndef FLOWS_ADDON_H
#define FLOWS_ADDON_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(call) if ((call) != napi_ok) { napi_throw_error(env, NULL, "flows_blas: bad arguments"); return NULL; }

// Arguments (addon.c).
int64_t flows_get_int(napi_env env, napi_value v);
float flows_get_float(napi_env env, napi_value v);
/** Reads `count` arguments into argv; the first must be the wasm heap as a Float32Array, returned
 *  with its length in floats. NULL (with a JavaScript exception pending) on bad arguments. */
float *flows_heap_arguments(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv, size_t *length);
/** Whether every operand [offsets[i], offsets[i] + extents[i]) lies inside the heap of `length`
 *  floats; otherwise throws a RangeError naming the function and returns 0. */
int flows_operands_fit(napi_env env, const char *name, size_t length, int count, const int64_t *offsets, const int64_t *extents);

// OpenBLAS's thread count, which setThreads sets and the addon's own kernels follow.
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
/** Whether the own kernels (products, direct convolutions) may run: `products(0)` keeps everything on OpenBLAS (products.c). */
int flows_own_products(void);
/** Sets OpenBLAS to one thread (for the convolutions' tall, narrow products; products.c) and returns the count to restore. */
int flows_single_threaded_begin(void);
void flows_single_threaded_end(int threads);
/** One product C = op(A) op(B) (+ bias[n]) (then ReLU), row-major with row strides lda, ldb, ldc: the
 *  own AVX-512 kernel where it suits (its rows split between `threads` threads of the pool; 1 inside
 *  a pool task), else OpenBLAS on its configured threads (set it to one inside a pool task). */
int flows_product(int transA, int transB, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, const float *bias, int relu,
                  int threads);

// The functions JavaScript calls (`src/addon.ts` types them), by family.
napi_value flows_sgemm(napi_env env, napi_callback_info info);                    // products.c
napi_value flows_products(napi_env env, napi_callback_info info);                 // products.c
napi_value flows_unary(napi_env env, napi_callback_info info);                    // elementwise.c
napi_value flows_slice(napi_env env, napi_callback_info info);                    // slice.c
napi_value flows_conv2d(napi_env env, napi_callback_info info);                   // convolution.c
napi_value flows_conv2d_filter_gradient(napi_env env, napi_callback_info info);   // convolution.c
napi_value flows_conv2d_backward(napi_env env, napi_callback_info info);          // convolution.c
napi_value flows_direct_convolutions(napi_env env, napi_callback_info info);      // convolution.c
napi_value flows_act_norm_inverse(napi_env env, napi_callback_info info);          // act-norm.c
napi_value flows_act_norm_inverse_gradient(napi_env env, napi_callback_info info); // act-norm.c
napi_value flows_coupling_inverse(napi_env env, napi_callback_info info);         // coupling.c
napi_value flows_coupling_inverse_gradient(napi_env env, napi_callback_info info);// coupling.c
napi_value flows_dense_coupling_inverse(napi_env env, napi_callback_info info);          // dense-coupling.c
napi_value flows_dense_coupling_inverse_gradient(napi_env env, napi_callback_info info); // dense-coupling.c
napi_value flows_adam_moment(napi_env env, napi_callback_info info);              // adam.c
napi_value flows_adam_parameter(napi_env env, napi_callback_info info);           // adam.c
napi_value flows_adam_update(napi_env env, napi_callback_info info);              // adam.c
napi_value flows_set_isa(napi_env env, napi_callback_info info);                  // isa.c
napi_value flows_isa_paths(napi_env env, napi_callback_info info);                // isa.c

#endif
