// The N-API module of the addon: its initialisation, which exports every family's functions
// (products.c, elementwise.c, slice.c, convolution.c, act-norm.c, coupling.c, dense-coupling.c, adam.c), setThreads, the choice of
// instruction set (isa.c), and the argument helpers the families share (addon.h).
#include "addon.h"
#include <stdio.h>

int64_t flows_get_int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

float flows_get_float(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return (float)out;
}

// Reads `count` arguments into argv; the first must be the wasm heap as a Float32Array, returned
// with its length in floats. NULL (with a JavaScript exception pending) on bad arguments.
float *flows_heap_arguments(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv, size_t *length) {
  char message[128];
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) {
    snprintf(message, sizeof message, "%s: expected %zu arguments", name, count);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  napi_typedarray_type type;
  void *data;
  napi_value buffer;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, argv[0], &type, length, &data, &buffer, &byteOffset) != napi_ok || type != napi_float32_array) {
    snprintf(message, sizeof message, "%s: the heap must be a Float32Array", name);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  return (float *)data;
}

// Whether every operand [offsets[i], offsets[i] + extents[i]) lies inside the heap of `length`
// floats; otherwise throws a RangeError naming the function and returns 0.
int flows_operands_fit(napi_env env, const char *name, size_t length, int count, const int64_t *offsets, const int64_t *extents) {
  for (int i = 0; i < count; i++) {
    if (offsets[i] < 0 || extents[i] < 0 || offsets[i] + extents[i] > (int64_t)length) {
      char message[128];
      snprintf(message, sizeof message, "%s: operands outside the heap", name);
      napi_throw_range_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) openblas_set_num_threads((int)flows_get_int(env, argv[0]));
  napi_value result;
  napi_create_int32(env, openblas_get_num_threads(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "products", NAPI_AUTO_LENGTH, flows_products, NULL, &fn);
  napi_set_named_property(env, exports, "products", fn);
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, flows_sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "unary", NAPI_AUTO_LENGTH, flows_unary, NULL, &fn);
  napi_set_named_property(env, exports, "unary", fn);
  napi_create_function(env, "slice", NAPI_AUTO_LENGTH, flows_slice, NULL, &fn);
  napi_set_named_property(env, exports, "slice", fn);
  napi_create_function(env, "conv2d", NAPI_AUTO_LENGTH, flows_conv2d, NULL, &fn);
  napi_set_named_property(env, exports, "conv2d", fn);
  napi_create_function(env, "conv2dFilterGradient", NAPI_AUTO_LENGTH, flows_conv2d_filter_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "conv2dFilterGradient", fn);
  napi_create_function(env, "conv2dBackward", NAPI_AUTO_LENGTH, flows_conv2d_backward, NULL, &fn);
  napi_set_named_property(env, exports, "conv2dBackward", fn);
  napi_create_function(env, "directConvolutions", NAPI_AUTO_LENGTH, flows_direct_convolutions, NULL, &fn);
  napi_set_named_property(env, exports, "directConvolutions", fn);
  napi_create_function(env, "actNormInverse", NAPI_AUTO_LENGTH, flows_act_norm_inverse, NULL, &fn);
  napi_set_named_property(env, exports, "actNormInverse", fn);
  napi_create_function(env, "actNormInverseGradient", NAPI_AUTO_LENGTH, flows_act_norm_inverse_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "actNormInverseGradient", fn);
  napi_create_function(env, "adamMoment", NAPI_AUTO_LENGTH, flows_adam_moment, NULL, &fn);
  napi_set_named_property(env, exports, "adamMoment", fn);
  napi_create_function(env, "adamParameter", NAPI_AUTO_LENGTH, flows_adam_parameter, NULL, &fn);
  napi_set_named_property(env, exports, "adamParameter", fn);
  napi_create_function(env, "adamUpdate", NAPI_AUTO_LENGTH, flows_adam_update, NULL, &fn);
  napi_set_named_property(env, exports, "adamUpdate", fn);
  napi_create_function(env, "couplingInverse", NAPI_AUTO_LENGTH, flows_coupling_inverse, NULL, &fn);
  napi_set_named_property(env, exports, "couplingInverse", fn);
  napi_create_function(env, "couplingInverseGradient", NAPI_AUTO_LENGTH, flows_coupling_inverse_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "couplingInverseGradient", fn);
  napi_create_function(env, "denseCouplingInverse", NAPI_AUTO_LENGTH, flows_dense_coupling_inverse, NULL, &fn);
  napi_set_named_property(env, exports, "denseCouplingInverse", fn);
  napi_create_function(env, "denseCouplingInverseGradient", NAPI_AUTO_LENGTH, flows_dense_coupling_inverse_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "denseCouplingInverseGradient", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  napi_create_function(env, "isa", NAPI_AUTO_LENGTH, flows_set_isa, NULL, &fn);
  napi_set_named_property(env, exports, "isa", fn);
  napi_create_function(env, "isaPaths", NAPI_AUTO_LENGTH, flows_isa_paths, NULL, &fn);
  napi_set_named_property(env, exports, "isaPaths", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
