// Matrix products for TensorFlow.js's wasm backend, computed by OpenBLAS on the tensors' own
// memory: the wasm heap is passed in as a Float32Array and the operands as element offsets, so
// nothing is copied. C = op(A) op(B) (+ bias) (then ReLU), for `batch` independent products.
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include "gemm.h"
#include "thread-pool.h"

// Whether matrix products use the addon's own AVX-512 kernel where it runs (1) or always OpenBLAS (0).
static int own_products = 1;

// Whether the own kernel suits a product: its 32-column panels waste most of their lanes on narrow
// products (n = 8: 28 GFLOP/s against OpenBLAS's 70 on one thread; the multi-scale flow's 1 × 1
// convolutions are 4- and 8-column products), and its transposed-A packing loses on short wide
// panels (288 × 910 by 910 × 32: 79 against 91); the dense layers' products (n ≥ 256) run at
// 300-360 GFLOP/s on two threads against OpenBLAS's 150-180 under this machine's Haswell setting.
// (The convolutions keep OpenBLAS: their im2col blocks are already packed, and the own kernel's
// second packing left a multi-scale training no faster, 314-355 against 321-388 samples/s.)
static int own_product_suits(int transA, int n, int k) {
  return own_products && gemm_avx512_available() && n >= 32 && k >= 16 && !(transA && n < 64);
}

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

// Whether every operand [offsets[i], offsets[i] + extents[i]) lies inside the heap of `length`
// floats; otherwise throws a RangeError naming the function and returns 0.
static int operands_fit(napi_env env, const char *name, size_t length, int count, const int64_t *offsets, const int64_t *extents) {
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
  // The own AVX-512 product where it runs (gemm-avx512.c: this machine's OpenBLAS is held to AVX2).
  if (own_product_suits(transA, n, k)) {
    int configured = openblas_get_num_threads(), handled = 1;
    for (int i = 0; i < batch && handled; i++)
      handled = gemm_avx512(transA, transB, m, n, k, heap + a + i * aStride, transA ? m : k, heap + b + i * bStride, transB ? k : n,
                            heap + c + (int64_t)i * m * n, n, bias >= 0 ? heap + bias : NULL, relu, configured) == 0;
    if (handled) return NULL;
  }
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

// One convolution's shapes and operands (element pointers into the wasm heap).
typedef struct {
  const float *input, *filter, *bias, *dz;
  float *out;
  int n, h, w, cin, kh, kw, cout, padTop, padLeft, outH, outW, strideH, strideW, dilationH, dilationW, relu, direct;
  int64_t rows, depth, block;
} Convolution;

// The KH·KW·Cin patch of output pixel `pixel` (zeros where the window leaves the image).
static void gather_patch(const Convolution *c, float *row, int64_t pixel) {
  int b = (int)(pixel / ((int64_t)c->outH * c->outW));
  int rest = (int)(pixel % ((int64_t)c->outH * c->outW));
  int oh = rest / c->outW, ow = rest % c->outW;
  int firstW = ow * c->strideW - c->padLeft;
  // Without dilation a kernel row's KW pixels lie side by side in NHWC memory: one copy when all are inside.
  int wholeRows = c->dilationW == 1 && firstW >= 0 && firstW + c->kw <= c->w;
  for (int i = 0; i < c->kh; i++) {
    int ih = oh * c->strideH - c->padTop + i * c->dilationH;
    float *target = row + (int64_t)i * c->kw * c->cin;
    if (ih < 0 || ih >= c->h) {
      memset(target, 0, (size_t)c->kw * c->cin * sizeof(float));
    } else if (wholeRows) {
      memcpy(target, c->input + (((int64_t)b * c->h + ih) * c->w + firstW) * c->cin, (size_t)c->kw * c->cin * sizeof(float));
    } else {
      for (int j = 0; j < c->kw; j++) {
        int iw = firstW + j * c->dilationW;
        if (iw < 0 || iw >= c->w) memset(target + (int64_t)j * c->cin, 0, (size_t)c->cin * sizeof(float));
        else memcpy(target + (int64_t)j * c->cin, c->input + (((int64_t)b * c->h + ih) * c->w + iw) * c->cin, (size_t)c->cin * sizeof(float));
      }
    }
  }
}

// A share of the output pixels [first, last) of one convolution, for one thread.
typedef struct {
  const Convolution *c;
  int64_t first, last;
  float *partial;  // the filter gradient: this thread's own [depth, cout] sum
  int failed;
} Share;

static void *forward_share(void *argument) {
  Share *share = (Share *)argument;
  const Convolution *c = share->c;
  float *patches = c->direct ? NULL : (float *)malloc((size_t)(c->block * c->depth) * sizeof(float));
  if (!c->direct && !patches) { share->failed = 1; return NULL; }
  for (int64_t start = share->first; start < share->last; start += c->block) {
    int64_t count = share->last - start < c->block ? share->last - start : c->block;
    const float *a = c->input + start * c->cin;
    if (!c->direct) {
      for (int64_t r = 0; r < count; r++) gather_patch(c, patches + r * c->depth, start + r);
      a = patches;
    }
    float *result = c->out + start * c->cout;
    float beta = 0.0f;
    if (c->bias) {
      for (int64_t r = 0; r < count; r++) memcpy(result + r * c->cout, c->bias, (size_t)c->cout * sizeof(float));
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)count, c->cout, (int)c->depth, 1.0f, a, (int)c->depth, c->filter, c->cout, beta, result, c->cout);
    if (c->relu) for (int64_t j = 0; j < count * c->cout; j++) if (result[j] < 0) result[j] = 0;
  }
  free(patches);
  return NULL;
}

static void *filter_gradient_share(void *argument) {
  Share *share = (Share *)argument;
  const Convolution *c = share->c;
  float *patches = (float *)malloc((size_t)(c->block * c->depth) * sizeof(float));
  if (!patches) { share->failed = 1; return NULL; }
  for (int64_t start = share->first; start < share->last; start += c->block) {
    int64_t count = share->last - start < c->block ? share->last - start : c->block;
    for (int64_t r = 0; r < count; r++) gather_patch(c, patches + r * c->depth, start + r);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c->depth, c->cout, (int)count, 1.0f, patches, (int)c->depth, c->dz + start * c->cout, c->cout,
                start == share->first ? 0.0f : 1.0f, share->partial, c->cout);
  }
  free(patches);
  return NULL;
}

// Runs `work` over the output pixels in up to `threads` contiguous shares, each on its own thread
// with single-threaded OpenBLAS products. The products of a convolution are tall and narrow
// (12 544 × 288 by 288 × 32 for a 3 × 3, 32-channel layer at batch 64 on 14 × 14 images): OpenBLAS's
// own threads split them badly (a multi-scale flow's step took 491 ms with two, 291 ms with one),
// while halves of the pixels are independent. 0 on success.
#define MAX_SHARES POOL_MAX_THREADS
typedef struct {
  void *(*work)(void *);
  Share *shares;
} ShareRun;

static void share_task(void *context, int index, int count) {
  const ShareRun *run = (const ShareRun *)context;
  (void)count;
  if (run->shares[index].first < run->shares[index].last) run->work(&run->shares[index]);
}

static int run_shares(const Convolution *c, void *(*work)(void *), Share *shares, int threads) {
  int64_t perShare = (c->rows + threads - 1) / threads;
  for (int t = 0; t < threads; t++) {
    shares[t].c = c;
    shares[t].first = t * perShare;
    shares[t].last = (t + 1) * perShare < c->rows ? (t + 1) * perShare : c->rows;
    shares[t].failed = 0;
  }
  ShareRun run = {work, shares};
  pool_run(threads, share_task, &run);
  int failed = 0;
  for (int t = 0; t < threads; t++) failed |= shares[t].failed;
  return failed;
}

// Threads for a convolution: the OpenBLAS thread count set by setThreads, one per 1 024 output pixels at most.
static int share_count(int64_t rows, int configured) {
  int64_t most = rows / 1024 > 0 ? rows / 1024 : 1;
  int threads = configured < most ? configured : (int)most;
  if (threads > MAX_SHARES) threads = MAX_SHARES;
  return threads < 1 ? 1 : threads;
}

// conv2d(heap, x, filter, bias (-1: none), out, n, h, w, cin, kh, kw, cout, padTop, padLeft, outH, outW,
//        strideH, strideW, dilationH, dilationW, relu)
static napi_value conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[21];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.conv2d", 21, argv, &length);
  if (!heap) return NULL;
  int64_t x = get_int(env, argv[1]), filter = get_int(env, argv[2]), bias = get_int(env, argv[3]), out = get_int(env, argv[4]);
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = (int)get_int(env, argv[5]); c.h = (int)get_int(env, argv[6]); c.w = (int)get_int(env, argv[7]); c.cin = (int)get_int(env, argv[8]);
  c.kh = (int)get_int(env, argv[9]); c.kw = (int)get_int(env, argv[10]); c.cout = (int)get_int(env, argv[11]);
  c.padTop = (int)get_int(env, argv[12]); c.padLeft = (int)get_int(env, argv[13]);
  c.outH = (int)get_int(env, argv[14]); c.outW = (int)get_int(env, argv[15]);
  c.strideH = (int)get_int(env, argv[16]); c.strideW = (int)get_int(env, argv[17]);
  c.dilationH = (int)get_int(env, argv[18]); c.dilationW = (int)get_int(env, argv[19]);
  c.relu = (int)get_int(env, argv[20]);
  c.rows = (int64_t)c.n * c.outH * c.outW;
  c.depth = (int64_t)c.kh * c.kw * c.cin;
  if (x < 0 || filter < 0 || out < 0 || c.depth <= 0 || x + (int64_t)c.n * c.h * c.w * c.cin > (int64_t)length || filter + c.depth * c.cout > (int64_t)length ||
      out + c.rows * c.cout > (int64_t)length || (bias >= 0 && bias + c.cout > (int64_t)length)) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2d: operands outside the heap");
    return NULL;
  }
  c.input = heap + x;
  c.filter = heap + filter;
  c.bias = bias >= 0 ? heap + bias : NULL;
  c.out = heap + out;
  c.direct = c.kh == 1 && c.kw == 1 && c.strideH == 1 && c.strideW == 1 && c.padTop == 0 && c.padLeft == 0 && c.outH == c.h && c.outW == c.w;
  // Patches in blocks that fit in 1 MB, read by the product from cache (one 14.5 MB buffer made a 3 × 3, 32-channel layer 4 times slower).
  c.block = c.direct ? c.rows : (256 << 10) / c.depth;
  if (c.block < 1) c.block = 1;
  int configured = single_threaded_begin();
  Share shares[MAX_SHARES];
  int failed = run_shares(&c, forward_share, shares, share_count(c.rows, configured));
  single_threaded_end(configured);
  if (failed) napi_throw_error(env, NULL, "flows_blas.conv2d: out of memory for the patch buffer");
  return NULL;
}

// The filter gradient of a stride-1 'same' convolution with an odd KH × KW filter:
// dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] dz[n, h, w, o], that is patchesᵀ · dz with the
// patches of the forward pass; each thread sums its share of the pixels, then the shares are added.
// conv2dFilterGradient(heap, x, dz, out, n, h, w, cin, kh, kw, cout)
static napi_value conv2d_filter_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.conv2dFilterGradient", 11, argv, &length);
  if (!heap) return NULL;
  int64_t x = get_int(env, argv[1]), dz = get_int(env, argv[2]), out = get_int(env, argv[3]);
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = (int)get_int(env, argv[4]); c.h = (int)get_int(env, argv[5]); c.w = (int)get_int(env, argv[6]); c.cin = (int)get_int(env, argv[7]);
  c.kh = (int)get_int(env, argv[8]); c.kw = (int)get_int(env, argv[9]); c.cout = (int)get_int(env, argv[10]);
  c.padTop = (c.kh - 1) / 2; c.padLeft = (c.kw - 1) / 2;
  c.outH = c.h; c.outW = c.w; c.strideH = c.strideW = c.dilationH = c.dilationW = 1;
  c.rows = (int64_t)c.n * c.h * c.w;
  c.depth = (int64_t)c.kh * c.kw * c.cin;
  if (c.kh % 2 == 0 || c.kw % 2 == 0 || c.depth <= 0 || x < 0 || dz < 0 || out < 0 || x + c.rows * c.cin > (int64_t)length ||
      dz + c.rows * c.cout > (int64_t)length || out + c.depth * c.cout > (int64_t)length) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2dFilterGradient: operands outside the heap, or an even filter");
    return NULL;
  }
  c.input = heap + x;
  c.dz = heap + dz;
  c.block = (256 << 10) / c.depth;
  if (c.block < 1) c.block = 1;
  int configured = single_threaded_begin();
  int threads = share_count(c.rows, configured);
  Share shares[MAX_SHARES];
  float *partials = threads > 1 ? (float *)calloc((size_t)(threads - 1) * c.depth * c.cout, sizeof(float)) : NULL;
  int failed = threads > 1 && !partials;
  if (!failed) {
    // Share 0 sums into the output itself, the others into their own buffers.
    shares[0].partial = heap + out;
    for (int t = 1; t < threads; t++) shares[t].partial = partials + (int64_t)(t - 1) * c.depth * c.cout;
    failed = run_shares(&c, filter_gradient_share, shares, threads);
    for (int t = 1; t < threads && !failed; t++) {
      if (shares[t].first >= shares[t].last) continue;
      for (int64_t j = 0; j < c.depth * c.cout; j++) heap[out + j] += shares[t].partial[j];
    }
  }
  single_threaded_end(configured);
  free(partials);
  if (failed) napi_throw_error(env, NULL, "flows_blas.conv2dFilterGradient: out of memory for the patch buffers");
  return NULL;
}

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

// Adam (Kingma and Ba 2015), the two operations of @flows/kernels' `adamMoment` and `adamParameter`:
//   first moment   m' = β m + (1 − β) (s g)
//   second moment  v' = β v + (1 − β) (s g)²        (s: the clip factor, 1 without clipping)
//   parameter      p' = p · decay − stepSize · m'_j / (√(v'_j · c₂⁻¹) + ε), j = offset + i
typedef struct {
  const float *moment, *gradient;
  float *out;
  float beta, scale;
  int second;
} AdamMoment;

static void adam_moment_range(void *context, int64_t first, int64_t last) {
  const AdamMoment *a = (const AdamMoment *)context;
  const float beta = a->beta, rest = 1.0f - a->beta, scale = a->scale;
  const float *restrict m = a->moment, *restrict g = a->gradient;
  float *restrict out = a->out;
  if (a->second) {
    for (int64_t i = first; i < last; i++) {
      float s = g[i] * scale;
      out[i] = beta * m[i] + rest * (s * s);
    }
  } else {
    for (int64_t i = first; i < last; i++) out[i] = beta * m[i] + rest * (g[i] * scale);
  }
}

typedef struct {
  const float *parameter, *first, *second;
  float *out;
  float stepSize, inverseCorrection2, epsilon, decay;
} AdamParameter;

static void adam_parameter_range(void *context, int64_t first, int64_t last) {
  const AdamParameter *a = (const AdamParameter *)context;
  const float stepSize = a->stepSize, c2 = a->inverseCorrection2, epsilon = a->epsilon, decay = a->decay;
  const float *restrict p = a->parameter, *restrict m = a->first, *restrict v = a->second;
  float *restrict out = a->out;
  for (int64_t i = first; i < last; i++) out[i] = p[i] * decay - (stepSize * m[i]) / (sqrtf(v[i] * c2) + epsilon);
}

static float get_float(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return (float)out;
}

// adamMoment(heap, moment, gradient, out, size, second (0/1), beta, scale)
static napi_value adam_moment(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.adamMoment", 8, argv, &length);
  if (!heap) return NULL;
  int64_t moment = get_int(env, argv[1]), gradient = get_int(env, argv[2]), out = get_int(env, argv[3]), size = get_int(env, argv[4]);
  const int64_t offsets[3] = {moment, gradient, out}, extents[3] = {size, size, size};
  if (!operands_fit(env, "flows_blas.adamMoment", length, 3, offsets, extents)) return NULL;
  AdamMoment a = {heap + moment, heap + gradient, heap + out, get_float(env, argv[6]), get_float(env, argv[7]), (int)get_int(env, argv[5])};
  parallel_for(size, adam_moment_range, &a);
  return NULL;
}

// adamParameter(heap, parameter, firstMoment, secondMoment, out, size, offset, stepSize, inverseCorrection2, epsilon, decay);
// the moments are the flat buffers of every parameter, read from `offset`.
static napi_value adam_parameter(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.adamParameter", 11, argv, &length);
  if (!heap) return NULL;
  int64_t parameter = get_int(env, argv[1]), first = get_int(env, argv[2]), second = get_int(env, argv[3]), out = get_int(env, argv[4]);
  int64_t size = get_int(env, argv[5]), offset = get_int(env, argv[6]);
  if (offset < 0) size = -1;  // an offset before the moments: reported as outside the heap
  const int64_t offsets[4] = {parameter, first + offset, second + offset, out}, extents[4] = {size, size, size, size};
  if (!operands_fit(env, "flows_blas.adamParameter", length, 4, offsets, extents)) return NULL;
  AdamParameter a = {heap + parameter, heap + first + offset, heap + second + offset, heap + out,
                     get_float(env, argv[7]), get_float(env, argv[8]), get_float(env, argv[9]), get_float(env, argv[10])};
  parallel_for(size, adam_parameter_range, &a);
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

// The masked affine coupling's density direction (Dinh, Sohl-Dickstein and Bengio, "Density
// estimation using Real NVP", ICLR 2017), @flows/kernels' affineCouplingInverse, in one pass over
// each row instead of about ten wasm kernels forward and twenty backward:
//   s = c ⊙ a(r) ⊙ m̄,  x = (y − t ⊙ m̄) ⊙ e^{−s},  log-det = −Σ s   (a = tanh or the identity)
// and its gradient, with g_x, g_l the incoming gradients of x and of the log-det:
//   ∂/∂y = g_x e^{−s},  ∂/∂t = −g_x e^{−s} m̄,  ∂/∂r = −(g_x x + g_l) c m̄ a′(r),  ∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r).
// Rows are split between the threads; each thread sums its rows' share of ∂/∂c.
typedef struct {
  const float *y, *r, *t, *m, *c, *dx, *dl;
  float *x, *logDet, *dy, *dt, *dr, *dc, *partials;
  int64_t batch, size, rowsPerShare;
  int tanh;
} Coupling;

static inline float activation_f(float r, int tanh) { return tanh ? tanh_f(r) : r; }

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
  const int64_t n = k->size;
  for (int64_t b = first; b < last; b++) {
    const float *restrict y = k->y + b * n, *restrict r = k->r + b * n, *restrict t = k->t + b * n, *restrict m = k->m, *restrict c = k->c;
    float *restrict x = k->x + b * n;
    float total = 0.0f;
    const int tanh = k->tanh;
#pragma omp simd reduction(+ : total)
    for (int64_t d = 0; d < n; d++) {
      float s = c[d] * activation_f(r[d], tanh) * m[d];
      x[d] = (y[d] - t[d] * m[d]) * exp_f(-s);
      total += s;
    }
    k->logDet[b] = -total;
  }
}

static void coupling_gradient_share(void *context, int index, int count) {
  const Coupling *k = (const Coupling *)context;
  (void)count;
  int64_t first, last;
  coupling_rows(k, index, &first, &last);
  const int64_t n = k->size;
  float *restrict dc = k->partials + index * n;
  for (int64_t d = 0; d < n; d++) dc[d] = 0.0f;
  for (int64_t b = first; b < last; b++) {
    const int64_t o = b * n;
    const float *restrict y = k->y + o, *restrict r = k->r + o, *restrict t = k->t + o, *restrict gx = k->dx + o, *restrict m = k->m, *restrict c = k->c;
    float *restrict dy = k->dy + o, *restrict dt = k->dt + o, *restrict dr = k->dr + o;
    const float gl = k->dl[b];
    const int tanh = k->tanh;
#pragma omp simd
    for (int64_t d = 0; d < n; d++) {
      float a = activation_f(r[d], tanh);
      float slope = tanh ? 1.0f - a * a : 1.0f;
      float decay = exp_f(-(c[d] * a * m[d]));
      float x = (y[d] - t[d] * m[d]) * decay;
      float common = gx[d] * x + gl;
      dy[d] = gx[d] * decay;
      dt[d] = -gx[d] * decay * m[d];
      dr[d] = -common * c[d] * m[d] * slope;
      dc[d] += common * a;
    }
  }
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
static napi_value coupling_inverse(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.couplingInverse", 11, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[7];
  for (int i = 0; i < 7; i++) offsets[i] = get_int(env, argv[1 + i]);
  int64_t batch = get_int(env, argv[8]), size = get_int(env, argv[9]);
  if (batch < 0 || size < 0) batch = size = -1;
  const int64_t extents[7] = {batch * size, batch * size, batch * size, size, size, batch * size, batch};
  if (!operands_fit(env, "flows_blas.couplingInverse", length, 7, offsets, extents)) return NULL;
  Coupling k;
  memset(&k, 0, sizeof k);
  k.y = heap + offsets[0]; k.r = heap + offsets[1]; k.t = heap + offsets[2]; k.m = heap + offsets[3]; k.c = heap + offsets[4];
  k.x = heap + offsets[5]; k.logDet = heap + offsets[6];
  k.batch = batch; k.size = size; k.tanh = (int)get_int(env, argv[10]);
  int threads = share_coupling_rows(&k);
  pool_run(threads, coupling_forward_share, &k);
  return NULL;
}

// couplingInverseGradient(heap, dx, dl, y, r, t, m, c, dy, dt, dr, dc, batch, size, tanh)
static napi_value coupling_inverse_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  size_t length;
  float *heap = heap_arguments(env, info, "flows_blas.couplingInverseGradient", 15, argv, &length);
  if (!heap) return NULL;
  int64_t offsets[11];
  for (int i = 0; i < 11; i++) offsets[i] = get_int(env, argv[1 + i]);
  int64_t batch = get_int(env, argv[12]), size = get_int(env, argv[13]);
  int64_t full = batch * size;
  if (batch < 0 || size < 0) batch = size = full = -1;
  const int64_t extents[11] = {full, batch, full, full, full, size, size, full, full, full, size};
  if (!operands_fit(env, "flows_blas.couplingInverseGradient", length, 11, offsets, extents)) return NULL;
  Coupling k;
  memset(&k, 0, sizeof k);
  k.dx = heap + offsets[0]; k.dl = heap + offsets[1]; k.y = heap + offsets[2]; k.r = heap + offsets[3]; k.t = heap + offsets[4];
  k.m = heap + offsets[5]; k.c = heap + offsets[6]; k.dy = heap + offsets[7]; k.dt = heap + offsets[8]; k.dr = heap + offsets[9];
  k.dc = heap + offsets[10];
  k.batch = batch; k.size = size; k.tanh = (int)get_int(env, argv[14]);
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

// products(useOwn?): sets whether products use the own AVX-512 kernel; returns 1 when they do (set and available), else 0.
static napi_value products(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) own_products = get_int(env, argv[0]) != 0;
  napi_value result;
  napi_create_int32(env, own_products && gemm_avx512_available(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "products", NAPI_AUTO_LENGTH, products, NULL, &fn);
  napi_set_named_property(env, exports, "products", fn);
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "unary", NAPI_AUTO_LENGTH, unary, NULL, &fn);
  napi_set_named_property(env, exports, "unary", fn);
  napi_create_function(env, "conv2d", NAPI_AUTO_LENGTH, conv2d, NULL, &fn);
  napi_set_named_property(env, exports, "conv2d", fn);
  napi_create_function(env, "conv2dFilterGradient", NAPI_AUTO_LENGTH, conv2d_filter_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "conv2dFilterGradient", fn);
  napi_create_function(env, "adamMoment", NAPI_AUTO_LENGTH, adam_moment, NULL, &fn);
  napi_set_named_property(env, exports, "adamMoment", fn);
  napi_create_function(env, "adamParameter", NAPI_AUTO_LENGTH, adam_parameter, NULL, &fn);
  napi_set_named_property(env, exports, "adamParameter", fn);
  napi_create_function(env, "couplingInverse", NAPI_AUTO_LENGTH, coupling_inverse, NULL, &fn);
  napi_set_named_property(env, exports, "couplingInverse", fn);
  napi_create_function(env, "couplingInverseGradient", NAPI_AUTO_LENGTH, coupling_inverse_gradient, NULL, &fn);
  napi_set_named_property(env, exports, "couplingInverseGradient", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, set_threads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
