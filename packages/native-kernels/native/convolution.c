// Convolutions for the wasm backend (NHWC input, HWIO filter), whose own Conv2D runs far below the
// machine's matrix-product speed and has no filter gradient.
//
// Stride 1 without dilation (every convolution of the project's flows) runs on the path's direct
// convolution where it has one (the avx512 path: convolution-avx512.c, no patches at all).
// Otherwise, and on the other paths: im2col, then one sgemm. The patches of a block of output
// pixels are gathered into rows of KH·KW·Cin values (zeros where the window leaves the image), and
// multiplied by the filter read as a [KH·KW·Cin, Cout] matrix, in blocks of rows whose patches fit
// in 1 MB, so that the product reads them from cache (a single buffer of all the patches, larger
// than the cache, made the convolution several times slower: bench/results.md). A 1×1 convolution
// with stride 1 needs no patches.
//
// conv2dBackward is a layer's whole gradient in one call (@flows/kernels' convolutionBackward):
// ReLU's derivative applied to dz once, the bias gradient summed on the way, then the input gradient
// (a forward convolution of dz with the filter rotated by 180° and its channels swapped, which the
// direct convolution reads in place) and the filter gradient.
#include "addon.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "thread-pool.h"

// Whether stride-1 convolutions use the path's direct convolution where it has one, with Winograd's
// F(2 × 2, 3 × 3) for the 3 × 3 ones it takes (2) or without (1), or always im2col and OpenBLAS (0):
// `directConvolutions(mode)`, for tests and before-and-after measurements.
static int direct_convolutions = 2;

static int direct_path(void) { return direct_convolutions && flows_own_products(); }

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
    // A select and an unconditional store, which SSE2 vectorizes (a conditional store it cannot,
    // and random signs made the branches of the baseline build cost more than the product itself).
    if (c->relu) for (int64_t j = 0; j < count * c->cout; j++) result[j] = result[j] < 0 ? 0.0f : result[j];
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
// own threads split them badly (a multi-scale flow's step was slower with two than with one),
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


// The forward convolution `c` by im2col and OpenBLAS products, its pixels split between `threads`
// threads. 0 on success.
static int im2col_forward(Convolution *c, int configuredThreads) {
  c->rows = (int64_t)c->n * c->outH * c->outW;
  c->depth = (int64_t)c->kh * c->kw * c->cin;
  c->direct = c->kh == 1 && c->kw == 1 && c->strideH == 1 && c->strideW == 1 && c->padTop == 0 && c->padLeft == 0 && c->outH == c->h && c->outW == c->w;
  // Patches in blocks that fit in 1 MB, read by the product from cache (see the top of this file).
  c->block = c->direct ? c->rows : (256 << 10) / c->depth;
  if (c->block < 1) c->block = 1;
  int configured = flows_single_threaded_begin();
  Share shares[MAX_SHARES];
  int failed = run_shares(c, forward_share, shares, share_count(c->rows, configuredThreads > 0 ? configuredThreads : configured));
  flows_single_threaded_end(configured);
  return failed;
}

// The filter gradient [kh, kw, cin, cout] of the stride-1 'same' convolution of x [n, h, w, cin] (odd
// kh, kw) from dz [n, h, w, cout], by im2col and OpenBLAS: each thread sums its share of the pixels,
// then the shares are added. 0 on success.
static int im2col_filter_gradient(const float *x, const float *dz, float *out, int n, int h, int w, int cin, int kh, int kw, int cout) {
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = n; c.h = h; c.w = w; c.cin = cin; c.kh = kh; c.kw = kw; c.cout = cout;
  c.padTop = (kh - 1) / 2; c.padLeft = (kw - 1) / 2;
  c.outH = h; c.outW = w; c.strideH = c.strideW = c.dilationH = c.dilationW = 1;
  c.rows = (int64_t)n * h * w;
  c.depth = (int64_t)kh * kw * cin;
  c.input = x;
  c.dz = dz;
  c.block = (256 << 10) / c.depth;
  if (c.block < 1) c.block = 1;
  int configured = flows_single_threaded_begin();
  int threads = share_count(c.rows, configured);
  Share shares[MAX_SHARES];
  float *partials = threads > 1 ? (float *)calloc((size_t)(threads - 1) * c.depth * c.cout, sizeof(float)) : NULL;
  int failed = threads > 1 && !partials;
  if (!failed) {
    // Share 0 sums into the output itself, the others into their own buffers.
    shares[0].partial = out;
    for (int t = 1; t < threads; t++) shares[t].partial = partials + (int64_t)(t - 1) * c.depth * c.cout;
    failed = run_shares(&c, filter_gradient_share, shares, threads);
    for (int t = 1; t < threads && !failed; t++) {
      if (shares[t].first >= shares[t].last) continue;
      for (int64_t j = 0; j < c.depth * c.cout; j++) out[j] += shares[t].partial[j];
    }
  }
  flows_single_threaded_end(configured);
  free(partials);
  return failed;
}

// The filter gradient of a stride-1 'same' convolution (odd kh, kw): the direct one where the path
// has it, else im2col. 0 on success.
static int filter_gradient(const float *x, const float *dz, float *out, int n, int h, int w, int cin, int kh, int kw, int cout) {
  if (direct_path() && flows_isa()->conv_filter_gradient) {
    int ph = (kh - 1) / 2, pw = (kw - 1) / 2;
    DirectFilterGradient d = {x, dz, out, n, h, w, cin, kh, kw, cout, ph, pw, ph, pw};
    int result = flows_isa()->conv_filter_gradient(&d, openblas_get_num_threads());
    if (result <= 0) return result < 0;
  }
  return im2col_filter_gradient(x, dz, out, n, h, w, cin, kh, kw, cout);
}

// conv2d(heap, x, filter, bias (-1: none), out, n, h, w, cin, kh, kw, cout, padTop, padLeft, outH, outW,
//        strideH, strideW, dilationH, dilationW, relu)
napi_value flows_conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[21];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.conv2d", 21, argv, &length);
  if (!heap) return NULL;
  int64_t x = flows_get_int(env, argv[1]), filter = flows_get_int(env, argv[2]), bias = flows_get_int(env, argv[3]), out = flows_get_int(env, argv[4]);
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = (int)flows_get_int(env, argv[5]); c.h = (int)flows_get_int(env, argv[6]); c.w = (int)flows_get_int(env, argv[7]); c.cin = (int)flows_get_int(env, argv[8]);
  c.kh = (int)flows_get_int(env, argv[9]); c.kw = (int)flows_get_int(env, argv[10]); c.cout = (int)flows_get_int(env, argv[11]);
  c.padTop = (int)flows_get_int(env, argv[12]); c.padLeft = (int)flows_get_int(env, argv[13]);
  c.outH = (int)flows_get_int(env, argv[14]); c.outW = (int)flows_get_int(env, argv[15]);
  c.strideH = (int)flows_get_int(env, argv[16]); c.strideW = (int)flows_get_int(env, argv[17]);
  c.dilationH = (int)flows_get_int(env, argv[18]); c.dilationW = (int)flows_get_int(env, argv[19]);
  c.relu = (int)flows_get_int(env, argv[20]);
  int64_t rows = (int64_t)c.n * c.outH * c.outW, depth = (int64_t)c.kh * c.kw * c.cin;
  if (x < 0 || filter < 0 || out < 0 || depth <= 0 || x + (int64_t)c.n * c.h * c.w * c.cin > (int64_t)length || filter + depth * c.cout > (int64_t)length ||
      out + rows * c.cout > (int64_t)length || (bias >= 0 && bias + c.cout > (int64_t)length)) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2d: operands outside the heap");
    return NULL;
  }
  c.input = heap + x;
  c.filter = heap + filter;
  c.bias = bias >= 0 ? heap + bias : NULL;
  c.out = heap + out;
  if (c.strideH == 1 && c.strideW == 1 && c.dilationH == 1 && c.dilationW == 1 && direct_path() && flows_isa()->conv_forward) {
    DirectConvolution d = {c.input, c.filter, c.bias, c.out, c.n, c.h, c.w, c.cin, c.kh, c.kw, c.cout,
                           c.padTop, c.padLeft, c.outH + c.kh - 1 - c.h - c.padTop, c.outW + c.kw - 1 - c.w - c.padLeft, c.relu, 0, direct_convolutions == 2};
    int result = flows_isa()->conv_forward(&d, openblas_get_num_threads());
    if (result < 0) napi_throw_error(env, NULL, "flows_blas.conv2d: out of memory for the padded images");
    if (result <= 0) return NULL;
  }
  if (im2col_forward(&c, 0)) napi_throw_error(env, NULL, "flows_blas.conv2d: out of memory for the patch buffer");
  return NULL;
}

// The filter gradient of a stride-1 'same' convolution with an odd KH × KW filter:
// dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] dz[n, h, w, o], that is patchesᵀ · dz with the
// patches of the forward pass.
// conv2dFilterGradient(heap, x, dz, out, n, h, w, cin, kh, kw, cout)
napi_value flows_conv2d_filter_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.conv2dFilterGradient", 11, argv, &length);
  if (!heap) return NULL;
  int64_t x = flows_get_int(env, argv[1]), dz = flows_get_int(env, argv[2]), out = flows_get_int(env, argv[3]);
  int n = (int)flows_get_int(env, argv[4]), h = (int)flows_get_int(env, argv[5]), w = (int)flows_get_int(env, argv[6]), cin = (int)flows_get_int(env, argv[7]);
  int kh = (int)flows_get_int(env, argv[8]), kw = (int)flows_get_int(env, argv[9]), cout = (int)flows_get_int(env, argv[10]);
  int64_t rows = (int64_t)n * h * w, depth = (int64_t)kh * kw * cin;
  if (kh % 2 == 0 || kw % 2 == 0 || depth <= 0 || cout <= 0 || rows < 0 || x < 0 || dz < 0 || out < 0 || x + rows * cin > (int64_t)length ||
      dz + rows * cout > (int64_t)length || out + depth * cout > (int64_t)length) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2dFilterGradient: operands outside the heap, or an even filter");
    return NULL;
  }
  if (filter_gradient(heap + x, heap + dz, heap + out, n, h, w, cin, kh, kw, cout))
    napi_throw_error(env, NULL, "flows_blas.conv2dFilterGradient: out of memory for the patch buffers");
  return NULL;
}

// ---- a layer's whole gradient ---------------------------------------------------------------------

// ReLU's derivative on dz (where y > 0) into `masked`, and each thread's column sums (the bias gradient).
typedef struct {
  const float *dz, *y;
  float *masked, *sums;
  int64_t rows;
  int cout;
} MaskedGradient;

static void masked_gradient_task(void *context, int index, int count) {
  const MaskedGradient *g = (const MaskedGradient *)context;
  int64_t first = g->rows * index / count, last = g->rows * (index + 1) / count;
  float *sums = g->sums + (int64_t)index * g->cout;
  for (int o = 0; o < g->cout; o++) sums[o] = 0.0f;
  for (int64_t r = first; r < last; r++) {
    const float *d = g->dz + r * g->cout;
    if (g->y) {
      const float *y = g->y + r * g->cout;
      float *m = g->masked + r * g->cout;
      // A select, which vectorizes (see forward_share).
      for (int o = 0; o < g->cout; o++) m[o] = y[o] > 0.0f ? d[o] : 0.0f;
      d = m;
    }
    for (int o = 0; o < g->cout; o++) sums[o] += d[o];
  }
}

// The input gradient of a stride-1 'same' convolution (odd kh, kw) with filter [kh, kw, cin, cout]:
// dx = conv(dz, W rotated by 180° with its channels swapped). 0 on success.
static int input_gradient(const float *dz, const float *filter, float *dx, int n, int h, int w, int cin, int kh, int kw, int cout) {
  int ph = (kh - 1) / 2, pw = (kw - 1) / 2;
  if (direct_path() && flows_isa()->conv_forward) {
    DirectConvolution d = {dz, filter, NULL, dx, n, h, w, cout, kh, kw, cin, ph, pw, ph, pw, 0, 1, direct_convolutions == 2};
    int result = flows_isa()->conv_forward(&d, openblas_get_num_threads());
    if (result <= 0) return result < 0;
  }
  int64_t size = (int64_t)kh * kw * cin * cout;
  float *rotated = (float *)malloc((size_t)size * sizeof(float));
  if (!rotated) return 1;
  for (int i = 0; i < kh; i++)
    for (int j = 0; j < kw; j++)
      for (int c = 0; c < cin; c++)
        for (int o = 0; o < cout; o++)
          rotated[(((int64_t)(kh - 1 - i) * kw + (kw - 1 - j)) * cout + o) * cin + c] = filter[(((int64_t)i * kw + j) * cin + c) * cout + o];
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = n; c.h = h; c.w = w; c.cin = cout; c.kh = kh; c.kw = kw; c.cout = cin;
  c.padTop = ph; c.padLeft = pw; c.outH = h; c.outW = w;
  c.strideH = c.strideW = c.dilationH = c.dilationW = 1;
  c.input = dz;
  c.filter = rotated;
  c.out = dx;
  int failed = im2col_forward(&c, 0);
  free(rotated);
  return failed;
}

// The calling thread's buffer for ReLU's masked dz, kept from call to call.
static __thread float *masked_buffer = NULL;
static __thread size_t masked_floats = 0;

// conv2dBackward(heap, x, filter, dz, y (-1: a linear layer), dx (-1: not wanted), dFilter, dBias,
//                n, h, w, cin, kh, kw, cout)
// The gradients of z = act(conv(x, W, stride 1, 'same') + b) (odd kh, kw; act ReLU where y, the
// layer's output, is given) from dz: dx [n, h, w, cin], dW [kh, kw, cin, cout], db [cout].
napi_value flows_conv2d_backward(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.conv2dBackward", 15, argv, &length);
  if (!heap) return NULL;
  int64_t x = flows_get_int(env, argv[1]), filter = flows_get_int(env, argv[2]), dz = flows_get_int(env, argv[3]), y = flows_get_int(env, argv[4]);
  int64_t dx = flows_get_int(env, argv[5]), dFilter = flows_get_int(env, argv[6]), dBias = flows_get_int(env, argv[7]);
  int n = (int)flows_get_int(env, argv[8]), h = (int)flows_get_int(env, argv[9]), w = (int)flows_get_int(env, argv[10]), cin = (int)flows_get_int(env, argv[11]);
  int kh = (int)flows_get_int(env, argv[12]), kw = (int)flows_get_int(env, argv[13]), cout = (int)flows_get_int(env, argv[14]);
  int64_t rows = (int64_t)n * h * w, depth = (int64_t)kh * kw * cin;
  if (n < 0 || h < 0 || w < 0 || cin <= 0 || cout <= 0 || kh <= 0 || kw <= 0 || kh % 2 == 0 || kw % 2 == 0) {
    napi_throw_range_error(env, NULL, "flows_blas.conv2dBackward: bad shapes, or an even filter");
    return NULL;
  }
  int64_t offsets[7] = {x, filter, dz, y >= 0 ? y : 0, dx >= 0 ? dx : 0, dFilter, dBias};
  int64_t extents[7] = {rows * cin, depth * cout, rows * cout, y >= 0 ? rows * cout : 0, dx >= 0 ? rows * cin : 0, depth * cout, cout};
  if (!flows_operands_fit(env, "flows_blas.conv2dBackward", length, 7, offsets, extents)) return NULL;
  if (rows > 0 && direct_path() && flows_isa()->conv_backward) {
    DirectBackward d = {heap + x,    heap + filter, heap + dz, y >= 0 ? heap + y : NULL, dx >= 0 ? heap + dx : NULL, heap + dFilter, heap + dBias, n, h, w,
                        cin,         kh,            kw,        cout,                    direct_convolutions == 2};
    int result = flows_isa()->conv_backward(&d, openblas_get_num_threads());
    if (result < 0) napi_throw_error(env, NULL, "flows_blas.conv2dBackward: out of memory for the padded images");
    if (result <= 0) return NULL;
  }
  int threads = openblas_get_num_threads();
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  if (threads < 1) threads = 1;
  if ((int64_t)threads * 4096 > rows) threads = rows / 4096 > 1 ? (int)(rows / 4096) : 1;
  float sums[POOL_MAX_THREADS * 64];
  float *allSums = cout <= 64 ? sums : (float *)malloc((size_t)threads * cout * sizeof(float));
  float *masked = y >= 0 ? (masked_floats >= (size_t)(rows * cout) ? masked_buffer : NULL) : NULL;
  if (y >= 0 && !masked) {
    free(masked_buffer);
    masked_buffer = (float *)malloc((size_t)(rows * cout) * sizeof(float) + 64);
    masked_floats = masked_buffer ? (size_t)(rows * cout) : 0;
    masked = masked_buffer;
  }
  if (!allSums || (y >= 0 && !masked)) {
    if (allSums != sums) free(allSums);
    napi_throw_error(env, NULL, "flows_blas.conv2dBackward: out of memory for ReLU's gradient");
    return NULL;
  }
  MaskedGradient g = {heap + dz, y >= 0 ? heap + y : NULL, masked, allSums, rows, cout};
  pool_run(threads, masked_gradient_task, &g);
  for (int o = 0; o < cout; o++) {
    float total = 0.0f;
    for (int t = 0; t < threads; t++) total += allSums[t * cout + o];
    heap[dBias + o] = total;
  }
  if (allSums != sums) free(allSums);
  const float *gradient = y >= 0 ? masked : heap + dz;
  int failed = 0;
  if (dx >= 0 && rows > 0) failed = input_gradient(gradient, heap + filter, heap + dx, n, h, w, cin, kh, kw, cout);
  if (!failed) {
    if (rows > 0) failed = filter_gradient(heap + x, gradient, heap + dFilter, n, h, w, cin, kh, kw, cout);
    else memset(heap + dFilter, 0, (size_t)(depth * cout) * sizeof(float));
  }
  if (failed) napi_throw_error(env, NULL, "flows_blas.conv2dBackward: out of memory for the convolutions' buffers");
  return NULL;
}

// directConvolutions(mode?): sets whether stride-1 convolutions use the path's direct convolution
// with Winograd where it applies (2), without (1), or im2col and OpenBLAS (0); returns the mode in
// effect (0 where the own products are off or the path has no direct convolution).
napi_value flows_direct_convolutions(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) {
    int64_t mode = flows_get_int(env, argv[0]);
    direct_convolutions = mode < 0 ? 0 : mode > 2 ? 2 : (int)mode;
  }
  napi_value result;
  napi_create_int32(env, direct_path() && flows_isa()->conv_forward != NULL ? direct_convolutions : 0, &result);
  return result;
}
