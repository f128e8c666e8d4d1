// Matrix products for TensorFlow.js's wasm backend, computed by OpenBLAS on the tensors' own
// memory: the wasm heap is passed in as a Float32Array and the operands as element offsets, so
// nothing is copied. C = op(A) op(B) (+ bias) (then ReLU), for `batch` independent products.
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);

#define CHECK(call) if ((call) != napi_ok) { napi_throw_error(env, NULL, "flows_blas: bad arguments"); return NULL; }

static int64_t get_int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

// sgemm(heap, aOffset, bOffset, cOffset, m, n, k, transA, transB, biasOffset (-1: none), relu, batch, aStride, bStride)
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 14) { napi_throw_error(env, NULL, "flows_blas.sgemm: expected 14 arguments"); return NULL; }
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t byteOffset;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byteOffset));
  if (type != napi_float32_array) { napi_throw_error(env, NULL, "flows_blas.sgemm: the heap must be a Float32Array"); return NULL; }
  float *heap = (float *)data;
  int64_t a = get_int(env, argv[1]), b = get_int(env, argv[2]), c = get_int(env, argv[3]);
  int m = (int)get_int(env, argv[4]), n = (int)get_int(env, argv[5]), k = (int)get_int(env, argv[6]);
  int transA = (int)get_int(env, argv[7]), transB = (int)get_int(env, argv[8]);
  int64_t bias = get_int(env, argv[9]);
  int relu = (int)get_int(env, argv[10]);
  int batch = (int)get_int(env, argv[11]);
  int64_t aStride = get_int(env, argv[12]), bStride = get_int(env, argv[13]);
  int64_t last = c + (int64_t)batch * m * n;
  if (a < 0 || b < 0 || c < 0 || last > (int64_t)length) { napi_throw_range_error(env, NULL, "flows_blas.sgemm: operands outside the heap"); return NULL; }
  for (int i = 0; i < batch; i++) {
    float *out = heap + c + (int64_t)i * m * n;
    float beta = 0.0f;
    if (bias >= 0) {
      for (int row = 0; row < m; row++) for (int col = 0; col < n; col++) out[(int64_t)row * n + col] = heap[bias + col];
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                heap + a + i * aStride, transA ? m : k, heap + b + i * bStride, transB ? k : n, beta, out, n);
    if (relu) for (int64_t j = 0; j < (int64_t)m * n; j++) if (out[j] < 0) out[j] = 0;
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) openblas_set_num_threads((int)get_int(env, argv[0]));
  napi_value result;
  napi_create_int32(env, openblas_get_num_threads(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
