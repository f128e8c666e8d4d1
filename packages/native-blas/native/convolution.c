// Convolutions for the wasm backend (NHWC input, HWIO filter), whose own Conv2D runs far below the
// machine's matrix-product speed and has no filter gradient: im2col, then one sgemm. The patches of
// a block of output pixels are gathered into rows of KH·KW·Cin values (zeros where the window
// leaves the image), and multiplied by the filter read as a [KH·KW·Cin, Cout] matrix, in blocks of
// rows whose patches fit in 1 MB, so that the product reads them from cache (a single buffer of all
// the patches, larger than the cache, made the convolution several times slower: bench/results.md).
// A 1×1 convolution with stride 1
// needs no patches.
#include "addon.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "thread-pool.h"

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
  // Patches in blocks that fit in 1 MB, read by the product from cache (see the top of this file).
  c.block = c.direct ? c.rows : (256 << 10) / c.depth;
  if (c.block < 1) c.block = 1;
  int configured = flows_single_threaded_begin();
  Share shares[MAX_SHARES];
  int failed = run_shares(&c, forward_share, shares, share_count(c.rows, configured));
  flows_single_threaded_end(configured);
  if (failed) napi_throw_error(env, NULL, "flows_blas.conv2d: out of memory for the patch buffer");
  return NULL;
}

// The filter gradient of a stride-1 'same' convolution with an odd KH × KW filter:
// dW[a, b, i, o] = Σ_{n,h,w} x_pad[n, h + a, w + b, i] dz[n, h, w, o], that is patchesᵀ · dz with the
// patches of the forward pass; each thread sums its share of the pixels, then the shares are added.
// conv2dFilterGradient(heap, x, dz, out, n, h, w, cin, kh, kw, cout)
napi_value flows_conv2d_filter_gradient(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t length;
  float *heap = flows_heap_arguments(env, info, "flows_blas.conv2dFilterGradient", 11, argv, &length);
  if (!heap) return NULL;
  int64_t x = flows_get_int(env, argv[1]), dz = flows_get_int(env, argv[2]), out = flows_get_int(env, argv[3]);
  Convolution c;
  memset(&c, 0, sizeof c);
  c.n = (int)flows_get_int(env, argv[4]); c.h = (int)flows_get_int(env, argv[5]); c.w = (int)flows_get_int(env, argv[6]); c.cin = (int)flows_get_int(env, argv[7]);
  c.kh = (int)flows_get_int(env, argv[8]); c.kw = (int)flows_get_int(env, argv[9]); c.cout = (int)flows_get_int(env, argv[10]);
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
  int configured = flows_single_threaded_begin();
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
  flows_single_threaded_end(configured);
  free(partials);
  if (failed) napi_throw_error(env, NULL, "flows_blas.conv2dFilterGradient: out of memory for the patch buffers");
  return NULL;
}
