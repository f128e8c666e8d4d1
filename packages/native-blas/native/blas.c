// Matrix products for TensorFlow.js's wasm backend, computed by OpenBLAS on the tensors' own
// memory: the wasm heap is passed in as a Float32Array and the operands as element offsets, so
// nothing is copied. C = op(A) op(B) (+ bias) (then ReLU), for `batch` independent products.
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);

#define CHECK(call) if ((call) != napi_ok) { napi_throw_error(env, NULL, "flows_blas: bad arguments"); return NULL; }

static int64_t get_int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

// Reads `count` arguments into argv; the first must be the wasm heap as a Float32Array, returned
// with its length in floats. NULL (with a JavaScript exception pending) on bad arguments.
static float *heap_arguments(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv, size_t *length) {
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

// The convolutions' products are tall and narrow (12 544 × 288 by 288 × 32 for a 3 × 3, 32-channel
// layer at batch 64 on 14 × 14): OpenBLAS's threads cost more than they save there (a multi-scale
// flow's step took 491 ms with two threads, 291 ms with one), so they run on one.
static int single_threaded_begin(void) {
  int threads = openblas_get_num_threads();
  if (threads != 1) openblas_set_num_threads(1);
  return threads;
}
static void single_threaded_end(int threads) {
  if (threads != 1) openblas_set_num_threads(threads);
}
// sgemm(heap, aOffset, bOffset, cOffset, m, n, k, transA, transB, biasOffset (-1: none), relu, batch, aStride, bStride)
static napi_value sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.sgemm", 14, argv, &length);
  if (!heap) return NULL;
  int64_t a = get_int(env, argv[1]), b = get_int(env, argv[2]), c = get_int(env, argv[3]);
  int m = (int)get_int(env, argv[4]), n = (int)get_int(env, argv[5]), k = (int)get_int(env, argv[6]);
  int transA = (int)get_int(env, argv[7]), transB = (int)get_int(env, argv[8]);
  int64_t bias = get_int(env, argv[9]);
  int relu = (int)get_int(env, argv[10]);
  int batch = (int)get_int(env, argv[11]);
  int64_t aStride = get_int(env, argv[12]), bStride = get_int(env, argv[13]);
  int64_t last = c + (int64_t)batch * m * n;
  if (a < 0 || b < 0 || c < 0 || last > (int64_t)length) { napi_throw_range_error(env, NULL, "flows_blas.sgemm: operands outside the heap"); return NULL; }
  // Small products (a 1 × 1 convolution's 12 544 × 4 by 4 × 4) lose more to OpenBLAS's threads than they gain.
  int threads = (int64_t)batch * m * n * k < ((int64_t)1 << 22) ? single_threaded_begin() : 1;
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
  single_threaded_end(threads);
  return NULL;
}


// Elementwise functions for the wasm backend, whose own are scalar libm calls (40-100 M values/s
// here). Written as branch-free polynomials (Cephes' single-precision coefficients, Moshier 1992)
// so that the compiler vectorizes the loops; special values are restored by selects at the end.
#include <math.h>
#include <string.h>

static inline float bits_to_float(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
static inline int32_t float_to_bits(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

// e^x with relative error below 2 ulp; 0 below -103.97, +inf above 88.72, NaN kept.
static inline float exp_f(float x) {
  float c = x < -103.972f ? -103.972f : (x > 88.7228f ? 88.7228f : x);
  float k = rintf(c * 1.44269504088896341f);
  float r = c - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // 2^k in two halves, so that k down to -150 (subnormal results) stays representable.
  int32_t ki = (int32_t)k;
  int32_t half = ki >> 1;
  y = y * bits_to_float((half + 127) << 23) * bits_to_float((ki - half + 127) << 23);
  y = x > 88.7228f ? INFINITY : y;
  y = x < -103.972f ? 0.0f : y;
  return x != x ? x : y;
}

// log x for finite x >= 2^-126 (callers pass normal positive values).
static inline float log_normal_f(float x) {
  int32_t bits = float_to_bits(x);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  float m = bits_to_float((bits & 0x007fffff) | 0x3f000000); // x = m 2^e, m in [0.5, 1)
  int below = m < 0.707106781186547524f;
  e -= below;
  m = (m - 1.0f) + (below ? m : 0.0f);
  float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = m * z * p;
  float fe = (float)e;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

// log(1 + u) for u >= 0, accurate for tiny u: log(w) u / (w - 1) with w = 1 + u rounded.
static inline float log1p_nonnegative_f(float u) {
  float w = 1.0f + u;
  float d = w - 1.0f;
  float l = log_normal_f(w);
  float ratio = u / (d == 0.0f ? 1.0f : d);
  return d == 0.0f ? u : l * ratio;
}

static inline float log1p_f(float x) {
  // General x > -1: same identity; w is a normal float there (at least 2^-24).
  float w = 1.0f + x;
  float d = w - 1.0f;
  float safe = (w > 0.0f && w < INFINITY) ? w : 1.0f;
  float l = log_normal_f(safe);
  float ratio = x / (d == 0.0f ? 1.0f : d);
  float y = d == 0.0f ? x : l * ratio;
  y = w == INFINITY ? INFINITY : y;
  y = w == 0.0f ? -INFINITY : y;
  y = w < 0.0f ? NAN : y;
  return x != x ? x : y;
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, no cancellation.
static inline float softplus_f(float x) {
  float a = fabsf(x);
  float y = (x > 0.0f ? x : 0.0f) + log1p_nonnegative_f(exp_f(-a));
  return x != x ? x : y;
}

// tanh: an odd polynomial below 0.625, 1 - 2 / (e^2|x| + 1) above (no cancellation there).
static inline float tanh_f(float x) {
  float a = fabsf(x);
  float s = x * x;
  float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s + 1.33314422036e-1f) * s - 3.33332819422e-1f) * s * x + x;
  float large = 1.0f - 2.0f / (exp_f(a + a) + 1.0f);
  large = x < 0.0f ? -large : large;
  float y = a < 0.625f ? small : large;
  return x != x ? x : y;
}

enum { OP_EXP = 0, OP_LOG1P = 1, OP_SOFTPLUS = 2, OP_TANH = 3 };

// unary(heap, op, inOffset, outOffset, size)
static napi_value unary(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.unary", 5, argv, &length);
  if (!heap) return NULL;
  int op = (int)get_int(env, argv[1]);
  int64_t in = get_int(env, argv[2]), out = get_int(env, argv[3]), size = get_int(env, argv[4]);
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


// Convolutions for the wasm backend (NHWC input, HWIO filter), whose own Conv2D runs far below the
// machine's matrix-product speed and has no filter gradient: im2col, then one sgemm. The patches of
// a block of output pixels are gathered into rows of KH·KW·Cin values (zeros where the window
// leaves the image), and multiplied by the filter read as a [KH·KW·Cin, Cout] matrix, in blocks of
// rows whose patches fit in 1 MB, so that the product reads them from cache (one 14.5 MB buffer made
// a 3 × 3, 32-channel convolution at batch 64 four times slower). A 1×1 convolution with stride 1
// needs no patches.
#include <stdlib.h>
// conv2d(heap, x, filter, bias (-1: none), out, n, h, w, cin, kh, kw, cout, padTop, padLeft, outH, outW,
//        strideH, strideW, dilationH, dilationW, relu)
static napi_value conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[21];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.conv2d", 21, argv, &length);
  if (!heap) return NULL;
  int64_t x = get_int(env, argv[1]), filter = get_int(env, argv[2]), bias = get_int(env, argv[3]), out = get_int(env, argv[4]);
  int n = (int)get_int(env, argv[5]), h = (int)get_int(env, argv[6]), w = (int)get_int(env, argv[7]), cin = (int)get_int(env, argv[8]);
  int kh = (int)get_int(env, argv[9]), kw = (int)get_int(env, argv[10]), cout = (int)get_int(env, argv[11]);
  int padTop = (int)get_int(env, argv[12]), padLeft = (int)get_int(env, argv[13]);
  int outH = (int)get_int(env, argv[14]), outW = (int)get_int(env, argv[15]);
  int strideH = (int)get_int(env, argv[16]), strideW = (int)get_int(env, argv[17]);
  int dilationH = (int)get_int(env, argv[18]), dilationW = (int)get_int(env, argv[19]);
  int relu = (int)get_int(env, argv[20]);
  int64_t rows = (int64_t)n * outH * outW;
  int64_t depth = (int64_t)kh * kw * cin;
  if (x < 0 || filter < 0 || out < 0 || x + (int64_t)n * h * w * cin > (int64_t)length || filter + depth * cout > (int64_t)length ||
      out + rows * cout > (int64_t)length || (bias >= 0 && bias + cout > (int64_t)length)) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2d: operands outside the heap");
    return NULL;
  }
  float *result = heap + out;
  const float *input = heap + x;
  int direct = kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && outH == h && outW == w;
  int64_t block = direct ? rows : (256 << 10) / (depth > 0 ? depth : 1);
  if (block < 1) block = 1;
  if (block > rows) block = rows;
  float *patches = direct ? NULL : (float *)malloc((size_t)(block * depth) * sizeof(float));
  if (!direct && !patches) { napi_throw_error(env, NULL, "flows_blas.conv2d: out of memory for the patch buffer"); return NULL; }
  int threads = single_threaded_begin();
  for (int64_t start = 0; start < rows; start += block) {
    int64_t count = rows - start < block ? rows - start : block;
    const float *a = input + start * cin;
    if (!direct) {
      for (int64_t r = 0; r < count; r++) {
        int64_t pixel = start + r;
        int b = (int)(pixel / ((int64_t)outH * outW));
        int rest = (int)(pixel % ((int64_t)outH * outW));
        int oh = rest / outW, ow = rest % outW;
        float *row = patches + r * depth;
        int firstW = ow * strideW - padLeft;
        // Without dilation a kernel row's KW pixels lie side by side in NHWC memory: one copy when all are inside.
        int wholeRows = dilationW == 1 && firstW >= 0 && firstW + kw <= w;
        for (int i = 0; i < kh; i++) {
          int ih = oh * strideH - padTop + i * dilationH;
          float *target = row + (int64_t)i * kw * cin;
          if (ih < 0 || ih >= h) {
            memset(target, 0, (size_t)kw * cin * sizeof(float));
          } else if (wholeRows) {
            memcpy(target, input + (((int64_t)b * h + ih) * w + firstW) * cin, (size_t)kw * cin * sizeof(float));
          } else {
            for (int j = 0; j < kw; j++) {
              int iw = firstW + j * dilationW;
              if (iw < 0 || iw >= w) memset(target + (int64_t)j * cin, 0, (size_t)cin * sizeof(float));
              else memcpy(target + (int64_t)j * cin, input + (((int64_t)b * h + ih) * w + iw) * cin, (size_t)cin * sizeof(float));
            }
          }
        }
      }
      a = patches;
    }
    float *c = result + start * cout;
    float beta = 0.0f;
    if (bias >= 0) {
      for (int64_t r = 0; r < count; r++) memcpy(c + r * cout, heap + bias, (size_t)cout * sizeof(float));
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)count, cout, (int)depth, 1.0f, a, (int)depth, heap + filter, cout, beta, c, cout);
    if (relu) for (int64_t j = 0; j < count * cout; j++) if (c[j] < 0) c[j] = 0;
  }
  single_threaded_end(threads);
  free(patches);
  return NULL;
}

// Gathers the KH·KW·Cin patch of output pixel `pixel` of a stride-1 convolution with the given padding.
static void gather_patch(const float *input, float *row, int64_t pixel, int h, int w, int cin, int kh, int kw, int padTop, int padLeft, int outH, int outW) {
  int b = (int)(pixel / ((int64_t)outH * outW));
  int rest = (int)(pixel % ((int64_t)outH * outW));
  int oh = rest / outW, ow = rest % outW;
  int firstW = ow - padLeft;
  int wholeRows = firstW >= 0 && firstW + kw <= w;
  for (int i = 0; i < kh; i++) {
    int ih = oh - padTop + i;
    float *target = row + (int64_t)i * kw * cin;
    if (ih < 0 || ih >= h) {
      memset(target, 0, (size_t)kw * cin * sizeof(float));
    } else if (wholeRows) {
      memcpy(target, input + (((int64_t)b * h + ih) * w + firstW) * cin, (size_t)kw * cin * sizeof(float));
    } else {
      for (int j = 0; j < kw; j++) {
        int iw = firstW + j;
        if (iw < 0 || iw >= w) memset(target + (int64_t)j * cin, 0, (size_t)cin * sizeof(float));
        else memcpy(target + (int64_t)j * cin, input + (((int64_t)b * h + ih) * w + iw) * cin, (size_t)cin * sizeof(float));
      }
    }
  }
}

// The filter gradient of a stride-1 'same' convolution with an odd KH × KW filter:
// dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] dz[n, h, w, o], that is patchesᵀ · dz with the
// patches of the forward pass, accumulated over blocks of output pixels (one product per block).
// conv2dFilterGradient(heap, x, dz, out, n, h, w, cin, kh, kw, cout)
static napi_value conv2d_filter_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.conv2dFilterGradient", 11, argv, &length);
  if (!heap) return NULL;
  int64_t x = get_int(env, argv[1]), dz = get_int(env, argv[2]), out = get_int(env, argv[3]);
  int n = (int)get_int(env, argv[4]), h = (int)get_int(env, argv[5]), w = (int)get_int(env, argv[6]), cin = (int)get_int(env, argv[7]);
  int kh = (int)get_int(env, argv[8]), kw = (int)get_int(env, argv[9]), cout = (int)get_int(env, argv[10]);
  int64_t rows = (int64_t)n * h * w;
  int64_t depth = (int64_t)kh * kw * cin;
  if (kh % 2 == 0 || kw % 2 == 0 || x < 0 || dz < 0 || out < 0 || x + rows * cin > (int64_t)length || dz + rows * cout > (int64_t)length ||
      out + depth * cout > (int64_t)length) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2dFilterGradient: operands outside the heap, or an even filter");
    return NULL;
  }
  int64_t block = (256 << 10) / depth;
  if (block < 1) block = 1;
  if (block > rows) block = rows;
  float *patches = (float *)malloc((size_t)(block * depth) * sizeof(float));
  if (!patches) { napi_throw_error(env, NULL, "flows_blas.conv2dFilterGradient: out of memory for the patch buffer"); return NULL; }
  int threads = single_threaded_begin();
  for (int64_t start = 0; start < rows; start += block) {
    int64_t count = rows - start < block ? rows - start : block;
    for (int64_t r = 0; r < count; r++) gather_patch(heap + x, patches + r * depth, start + r, h, w, cin, kh, kw, (kh - 1) / 2, (kw - 1) / 2, h, w);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)depth, cout, (int)count, 1.0f, patches, (int)depth, heap + dz + start * cout, cout,
                start == 0 ? 0.0f : 1.0f, heap + out, cout);
  }
  single_threaded_end(threads);
  free(patches);
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
  napi_create_function(env, "unary", NAPI_AUTO_LENGTH, unary, NULL, &fn);
  napi_set_named_property(env, exports, "unary", fn);
  napi_create_function(env, "conv2d", NAPI_AUTO_LENGTH, conv2d, NULL, &fn);
  napi_set_named_property(env, exports, "conv2d", fn);
  napi_create_function(env, "conv2dFilterGradient", NAPI_AUTO_LENGTH, conv2d_filter_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "conv2dFilterGradient", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
