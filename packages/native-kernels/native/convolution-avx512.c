// Direct stride-1 convolutions on AVX-512 register-blocked micro-kernels, without im2col.
//
// Why: im2col writes every pixel's patch (k² copies of the input), and a product then packs the
// patches once more into its panels; on the multi-scale flow's layers (3 × 3, 4-32 channels,
// 7 × 7 and 14 × 14 images) that ran at 20-85 GFLOP/s per thread with OpenBLAS, and at a quarter of
// that for 4- and 8-channel outputs, whose products are a few columns wide (bench/results.md).
// Here each image is copied once into a zero-padded buffer whose rows are w + p pixels apart (one
// run of p zero pixels serves as the right padding of a row and the left padding of the next), so
// that output position q = y·S + x reads, for kernel row i, the kw·cin values that start at pixel
// q + i·S: contiguous, at a fixed distance from those of q + 1. The micro-kernels read the input
// there directly (no packing; S − outW of every S positions are computed and not stored):
//
// - `b32`/`b16`: 12 positions × 32 output channels (or 24 × 16 for at most 16), each position's
//   values broadcast against the packed filter's channel vectors, as the product's micro-kernel
//   (gemm-avx512.c) does with its packed panels;
// - `dot` (at most 8 output channels, input channels a multiple of 16): 6 positions × 4 channels (or
//   3 × 8), the input's channel vectors against the filter's, summed across lanes at the end: the
//   narrow layers' outputs would use a quarter of a 16-lane vector the other way round.
//
// The filter gradient sums, over the output positions, the outer products of a kernel row's
// kw·cin input values (12 at a time, broadcast) with dz's output channels (32 lanes), into the
// [kh·kw·cin, cout] gradient; for 4 or 8 output channels the other way round (dz broadcast, the
// input's values in vectors), transposed at the end. Images are split between the threads, each
// with its own padded buffer and partial sums.
//
// Compiled only into the avx512 path (binding.gyp, isa.h): nothing here checks the CPU. Every
// function name ends in _avx512 (the build check of isa-paths.test.ts).
#include "convolution-direct.h"
#include "thread-pool.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

#define FLOWS_INLINE static inline __attribute__((always_inline))
// The most positions a forward block computes (the b16 kernel's).
#define MOST_ROWS 24

// One image's zero-padded copy: pixel (y, x) at lead + y·S + x, zeros around.
typedef struct {
  int S, outH, outW;
  int64_t lead, floats;
} Padded;

// 0 where the geometry fits the scheme: a padding wider than the filter would make outW exceed S.
static int padded_geometry_avx512(Padded *p, int h, int w, int cin, int kh, int kw, int padTop, int padLeft, int padBottom, int padRight) {
  int least = padLeft < padRight ? padLeft : padRight;
  if (least > kw - 1 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) return -1;
  p->S = w + (padLeft > padRight ? padLeft : padRight);
  p->lead = (int64_t)padTop * p->S + padLeft;
  p->outH = h + padTop + padBottom - kh + 1;
  p->outW = w + padLeft + padRight - kw + 1;
  if (p->outH <= 0 || p->outW <= 0) return -1;
  // The last block of positions runs up to MOST_ROWS past the last output row, and reads kh − 1 rows
  // and kw − 1 pixels beyond each position; the vector loops up to 96 values past a kernel row.
  p->floats = ((int64_t)(padTop + h + padBottom + 1) * p->S + MOST_ROWS + kw + 2) * cin + 128;
  return 0;
}

static void fill_padded_avx512(const Padded *p, const float *image, float *buffer, int h, int w, int cin) {
  for (int y = 0; y < h; y++) memcpy(buffer + (p->lead + (int64_t)y * p->S) * cin, image + (int64_t)y * w * cin, (size_t)w * cin * sizeof(float));
}

// Each thread's padded image, grown as needed and kept (the pool's workers persist).
static __thread float *padded_buffer = NULL;
static __thread size_t padded_size = 0;

static float *grow_avx512(float **buffer, size_t *size, size_t wanted) {
  if (*size >= wanted) return *buffer;
  free(*buffer);
  *buffer = (float *)aligned_alloc(64, ((wanted * sizeof(float) + 63) / 64) * 64);
  *size = *buffer ? wanted : 0;
  return *buffer;
}

static inline __mmask16 lanes_avx512(int count) { return count >= 16 ? (__mmask16)0xffff : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1); }

// ---- forward micro-kernels ------------------------------------------------------------------------

// 12 positions × 32 channels: tile[r·ldt + l] = Σ_{i, d} a[i·rowStep + r·rs + d] · b[(i·run + d)·32 + l]
// (ldt a multiple of 16).
FLOWS_INLINE void b32_body(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *b, float *tile, int64_t ldt) {
  __m512 c[12][2];
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (int i = 0; i < kh; i++) {
    const float *a = a0 + i * rowStep;
    const float *bi = b + (int64_t)i * run * 32;
    for (int d = 0; d < run; d++) {
      __m512 b0 = _mm512_load_ps(bi + (int64_t)d * 32), b1 = _mm512_load_ps(bi + (int64_t)d * 32 + 16);
#pragma GCC unroll 12
      for (int r = 0; r < 12; r++) {
        __m512 x = _mm512_set1_ps(a[r * rs + d]);
        c[r][0] = _mm512_fmadd_ps(x, b0, c[r][0]);
        c[r][1] = _mm512_fmadd_ps(x, b1, c[r][1]);
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++) {
    _mm512_store_ps(tile + r * ldt, c[r][0]);
    _mm512_store_ps(tile + r * ldt + 16, c[r][1]);
  }
}

// 24 positions × 16 channels, the same sums.
FLOWS_INLINE void b16_body(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *b, float *tile, int64_t ldt) {
  (void)ldt;
  __m512 c[24];
#pragma GCC unroll 24
  for (int r = 0; r < 24; r++) c[r] = _mm512_setzero_ps();
  for (int i = 0; i < kh; i++) {
    const float *a = a0 + i * rowStep;
    const float *bi = b + (int64_t)i * run * 16;
    for (int d = 0; d < run; d++) {
      __m512 b0 = _mm512_load_ps(bi + (int64_t)d * 16);
#pragma GCC unroll 24
      for (int r = 0; r < 24; r++) c[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * rs + d]), b0, c[r]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < 24; r++) _mm512_store_ps(tile + r * 16, c[r]);
}

// Lane l of the result is the sum of the lanes of v[l] (16 vectors in, one out), by halving
// shuffles: 15 shuffle-and-add steps instead of 16 separate reductions of 4 steps each.
FLOWS_INLINE __m512 sum_lanes_avx512(const __m512 *v) {
  // The tree below leaves the sum of input slot 4e + k in lane 4k + e: feed the slots transposed.
  __m512 u[8], w[4], z[2];
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    int s0 = 2 * k, s1 = 2 * k + 1;
    __m512 a = v[(s0 % 4) * 4 + s0 / 4], b = v[(s1 % 4) * 4 + s1 / 4];
    u[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; m++)
    w[m] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * m], u[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(u[2 * m], u[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1)));
#pragma GCC unroll 2
  for (int l = 0; l < 2; l++)
    z[l] = _mm512_add_ps(_mm512_shuffle_ps(w[2 * l], w[2 * l + 1], _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(w[2 * l], w[2 * l + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_ps(z[0], z[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(z[0], z[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// R = 24 / K positions × K channels (K = 4 or 8) as dot products over the run (a multiple of 16):
// tile[r·K + o] = Σ_{i, d} a[i·rowStep + r·rs + d] · w[(o·kh + i)·run + d].
FLOWS_INLINE void dot_body(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *w, float *tile, int64_t ldt, const int K) {
  (void)ldt;
  const int R = 24 / K;
  __m512 c[24];
#pragma GCC unroll 24
  for (int q = 0; q < 24; q++) c[q] = _mm512_setzero_ps();
  for (int i = 0; i < kh; i++) {
    const float *a = a0 + i * rowStep;
    const float *wi = w + (int64_t)i * run;
    for (int d = 0; d < run; d += 16) {
      // The smaller of the two sets of vectors is loaded first and held (24 sums, 4 or 3 held
      // vectors and the one being used fit the 32 registers; all 10 or 11 would not).
      if (K == 4) {
        __m512 f[4];
#pragma GCC unroll 4
        for (int o = 0; o < 4; o++) f[o] = _mm512_load_ps(wi + (int64_t)o * kh * run + d);
#pragma GCC unroll 6
        for (int r = 0; r < R; r++) {
          __m512 x = _mm512_loadu_ps(a + r * rs + d);
#pragma GCC unroll 4
          for (int o = 0; o < 4; o++) c[r * 4 + o] = _mm512_fmadd_ps(x, f[o], c[r * 4 + o]);
        }
      } else {
        __m512 x[3];
#pragma GCC unroll 3
        for (int r = 0; r < R; r++) x[r] = _mm512_loadu_ps(a + r * rs + d);
#pragma GCC unroll 8
        for (int o = 0; o < K; o++) {
          __m512 f = _mm512_load_ps(wi + (int64_t)o * kh * run + d);
#pragma GCC unroll 3
          for (int r = 0; r < R; r++) c[r * K + o] = _mm512_fmadd_ps(x[r], f, c[r * K + o]);
        }
      }
    }
  }
  __m512 rest[16];
#pragma GCC unroll 8
  for (int q = 0; q < 8; q++) {
    rest[q] = c[16 + q];
    rest[8 + q] = _mm512_setzero_ps();
  }
  _mm512_store_ps(tile, sum_lanes_avx512(c));
  _mm512_store_ps(tile + 16, sum_lanes_avx512(rest));
}

typedef void (*ForwardKernel)(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *b, float *tile, int64_t ldt);

// Each body once per common row stride (the channel counts, and 16 × them for Winograd's
// transformed tiles), so that r·rs is an address's constant displacement (the broadcasts then need
// no address arithmetic), and once for any other.
#define FLOWS_FORWARD_VARIANT(body, suffix, RS, ...)                                                                                    \
  static void body##_##RS##suffix(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *b, float *tile, int64_t ldt) { \
    (void)rs;                                                                                                                            \
    body(a0, RS, rowStep, kh, run, b, tile, ldt __VA_ARGS__);                                                                            \
  }
#define FLOWS_FORWARD_VARIANTS(body, suffix, ...)                                                                                        \
  FLOWS_FORWARD_VARIANT(body, suffix, 4, __VA_ARGS__)                                                                                    \
  FLOWS_FORWARD_VARIANT(body, suffix, 8, __VA_ARGS__)                                                                                    \
  FLOWS_FORWARD_VARIANT(body, suffix, 16, __VA_ARGS__)                                                                                   \
  FLOWS_FORWARD_VARIANT(body, suffix, 32, __VA_ARGS__)                                                                                   \
  FLOWS_FORWARD_VARIANT(body, suffix, 64, __VA_ARGS__)                                                                                   \
  FLOWS_FORWARD_VARIANT(body, suffix, 256, __VA_ARGS__)                                                                                  \
  FLOWS_FORWARD_VARIANT(body, suffix, 512, __VA_ARGS__)                                                                                  \
  FLOWS_FORWARD_VARIANT(body, suffix, 1024, __VA_ARGS__)                                                                                 \
  static void body##_any##suffix(const float *a0, int64_t rs, int64_t rowStep, int kh, int run, const float *b, float *tile, int64_t ldt) { \
    body(a0, rs, rowStep, kh, run, b, tile, ldt __VA_ARGS__);                                                                            \
  }                                                                                                                                      \
  static ForwardKernel choose_##body##suffix(int64_t rs) {                                                                               \
    switch (rs) {                                                                                                                        \
      case 4: return body##_4##suffix;                                                                                                   \
      case 8: return body##_8##suffix;                                                                                                   \
      case 16: return body##_16##suffix;                                                                                                 \
      case 32: return body##_32##suffix;                                                                                                 \
      case 64: return body##_64##suffix;                                                                                                 \
      case 256: return body##_256##suffix;                                                                                               \
      case 512: return body##_512##suffix;                                                                                               \
      case 1024: return body##_1024##suffix;                                                                                             \
      default: return body##_any##suffix;                                                                                                \
    }                                                                                                                                    \
  }

FLOWS_FORWARD_VARIANTS(b32_body, _avx512, )
FLOWS_FORWARD_VARIANTS(b16_body, _avx512, )
FLOWS_FORWARD_VARIANTS(dot_body, _k4_avx512, , 4)
FLOWS_FORWARD_VARIANTS(dot_body, _k8_avx512, , 8)

// ---- the forward convolution --------------------------------------------------------------------------

enum { KIND_B32 = 0, KIND_B16 = 1, KIND_DOT = 2, KIND_WINOGRAD = 3 };

typedef struct {
  const DirectConvolution *c;
  Padded p;
  const float *packed;
  ForwardKernel kernel;
  int kind, rows, width;  // rows: positions per block; width: channels per block (32, 16, or K for dot)
  // Winograd's F(2 × 2, 3 × 3) (kind KIND_WINOGRAD): tiles of 2 × 2 outputs, images transformed in
  // groups of `groupImages` (their tiles fill `groupRows` rows, a multiple of 12), `packed` holding
  // the transformed filter [16][panels][cin][32].
  int tilesY, tilesX, groupImages, groupRows, panels;
  int failed[POOL_MAX_THREADS];
} ForwardRun;

static inline float filter_value_avx512(const DirectConvolution *c, int i, int j, int ch, int o) {
  if (c->flipped) return c->filter[(((int64_t)(c->kh - 1 - i) * c->kw + (c->kw - 1 - j)) * c->cout + o) * c->cin + ch];
  return c->filter[(((int64_t)i * c->kw + j) * c->cin + ch) * c->cout + o];
}

// Stores rows [0, count) of a block's tile at positions q0 … (those inside the output: x < outW),
// with the bias and ReLU: `width` channels from channel `first`, tile rows `stride` apart. (One
// division per block: one per row cost a sixth of the time of a 32-channel block.)
static void store_block_avx512(const ForwardRun *run, int b, int64_t q0, int count, const float *tile, int stride, int first, int width) {
  const DirectConvolution *c = run->c;
  const Padded *p = &run->p;
  int64_t end = (int64_t)p->outH * p->S;
  __m512 zero = _mm512_setzero_ps();
  __mmask16 m0 = lanes_avx512(width), m1 = lanes_avx512(width - 16);
  __m512 bias0 = c->bias ? _mm512_maskz_loadu_ps(m0, c->bias + first) : zero, bias1 = c->bias && width > 16 ? _mm512_maskz_loadu_ps(m1, c->bias + first + 16) : zero;
  int y = (int)(q0 / p->S), x = (int)(q0 - (int64_t)y * p->S);
  float *row = c->out + (((int64_t)b * p->outH + y) * p->outW + x) * c->cout + first;
  if (count > end - q0) count = (int)(end - q0);
  for (int r = 0; r < count; r++, x++, row += c->cout) {
    if (x == p->S) {
      x = 0;
      // The S − outW positions skipped at the end of the row were never stored.
      row -= (int64_t)(p->S - p->outW) * c->cout;
    }
    if (x >= p->outW) continue;
    __m512 v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, tile + (int64_t)r * stride), bias0);
    if (c->relu) v0 = _mm512_max_ps(v0, zero);
    _mm512_mask_storeu_ps(row, m0, v0);
    if (width > 16) {
      __m512 v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, tile + (int64_t)r * stride + 16), bias1);
      if (c->relu) v1 = _mm512_max_ps(v1, zero);
      _mm512_mask_storeu_ps(row + 16, m1, v1);
    }
  }
}

// Every block of output positions of image b, from its padded copy.
static void forward_image_avx512(const ForwardRun *run, const float *buffer, int b) {
  const DirectConvolution *c = run->c;
  const Padded *p = &run->p;
  float tile[MOST_ROWS * 32] __attribute__((aligned(64)));
  int64_t end = (int64_t)p->outH * p->S, rowStep = (int64_t)p->S * c->cin;
  int runLength = c->kw * c->cin;
  int64_t panelFloats = (int64_t)c->kh * runLength * run->width;
  for (int64_t q0 = 0; q0 < end; q0 += run->rows) {
    const float *a = buffer + q0 * c->cin;
    if (run->kind == KIND_DOT) {
      run->kernel(a, c->cin, rowStep, c->kh, runLength, run->packed, tile, 32);
      store_block_avx512(run, b, q0, run->rows, tile, run->width, 0, c->cout);
    } else {
      for (int panel = 0; panel * run->width < c->cout; panel++) {
        run->kernel(a, c->cin, rowStep, c->kh, runLength, run->packed + panel * panelFloats, tile, 32);
        int width = c->cout - panel * run->width < run->width ? c->cout - panel * run->width : run->width;
        store_block_avx512(run, b, q0, run->rows, tile, run->width, panel * run->width, width);
      }
    }
  }
}

// ---- Winograd's F(2 × 2, 3 × 3) --------------------------------------------------------------------------
//
// Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016: each 2 × 2 tile of
// outputs is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A from the 4 × 4 inputs d around it, 16 products per channel
// pair instead of 36, so that the 16 positions ξ of the transformed tiles are 16 independent
// products [tiles × cin] · [cin × cout], which the b32 kernel computes (kh = 1, the run the input
// channels). Bᵀ and Aᵀ have entries 0 and ±1 and G ±½, so the transforms round little (the error
// against the direct sums is measured in native-kernels.test.ts). The padded buffer is the direct
// kernels': a tile's inputs at padded rows and columns 2t … 2t + 3, the one past the last pixel a
// zero; where h or w is odd the last tile reads a further row or column (the slack, or the next
// row's first pixel), which only its outputs past the image use (Bᵀ's rows 0-2, and so outputs 0 of
// a tile, involve inputs 0-2 alone) and which are not stored.

// Per thread: the transformed inputs V [groupRows][16][cin] and products M [groupRows][panels][16][32]
// of a group of images, and which images they hold. Tile-major, so that a tile's 16 positions are a
// constant distance apart (the transforms' loads and stores need no address arithmetic; with
// position-major planes the output transform took as long as the products).
typedef struct {
  float *V, *M;
  int images[256];
  int count;
} ImageGroup;

static __thread float *winograd_v = NULL, *winograd_m = NULL;
static __thread size_t winograd_v_size = 0, winograd_m_size = 0;

// Bᵀ d B of the tiles of the image in `buffer`, into V's rows from `row`.
static void winograd_input_avx512(const ForwardRun *run, const float *buffer, float *V, int row) {
  const DirectConvolution *c = run->c;
  int64_t S = run->p.S, cin = c->cin;
  for (int ty = 0; ty < run->tilesY; ty++)
    for (int tx = 0; tx < run->tilesX; tx++, row++) {
      const float *d0 = buffer + ((2 * ty) * S + 2 * tx) * cin;
      float *v0 = V + (int64_t)row * 16 * cin;
      for (int ch = 0; ch < cin; ch += 16) {
        __m512 t[4][4];
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++) {
          __m512 d0s = _mm512_loadu_ps(d0 + (0 * S + s) * cin + ch), d1s = _mm512_loadu_ps(d0 + (1 * S + s) * cin + ch);
          __m512 d2s = _mm512_loadu_ps(d0 + (2 * S + s) * cin + ch), d3s = _mm512_loadu_ps(d0 + (3 * S + s) * cin + ch);
          t[0][s] = _mm512_sub_ps(d0s, d2s);
          t[1][s] = _mm512_add_ps(d1s, d2s);
          t[2][s] = _mm512_sub_ps(d2s, d1s);
          t[3][s] = _mm512_sub_ps(d1s, d3s);
        }
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
          float *v = v0 + (int64_t)(r * 4) * cin + ch;
          _mm512_storeu_ps(v, _mm512_sub_ps(t[r][0], t[r][2]));
          _mm512_storeu_ps(v + cin, _mm512_add_ps(t[r][1], t[r][2]));
          _mm512_storeu_ps(v + 2 * cin, _mm512_sub_ps(t[r][2], t[r][1]));
          _mm512_storeu_ps(v + 3 * cin, _mm512_sub_ps(t[r][1], t[r][3]));
        }
      }
    }
}

// Aᵀ m A of one tile's 16 products m (each 16 channels apart by `step`), plus the bias, then ReLU:
// the tile's four outputs y[i][j].
FLOWS_INLINE void winograd_output_tile(const float *m0, __m512 bias, int relu, __m512 y[2][2]) {
  __m512 m[16], u[2][4], zero = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int xi = 0; xi < 16; xi++) m[xi] = _mm512_load_ps(m0 + xi * 32);
#pragma GCC unroll 4
  for (int s = 0; s < 4; s++) {
    u[0][s] = _mm512_add_ps(_mm512_add_ps(m[s], m[4 + s]), m[8 + s]);
    u[1][s] = _mm512_sub_ps(_mm512_sub_ps(m[4 + s], m[8 + s]), m[12 + s]);
  }
#pragma GCC unroll 2
  for (int i = 0; i < 2; i++) {
    y[i][0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(u[i][0], u[i][1]), u[i][2]), bias);
    y[i][1] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(u[i][1], u[i][2]), u[i][3]), bias);
    if (relu) {
      y[i][0] = _mm512_max_ps(y[i][0], zero);
      y[i][1] = _mm512_max_ps(y[i][1], zero);
    }
  }
}

// The group's 16 products, then Aᵀ m A of every tile (with the bias and ReLU) into the outputs.
static void winograd_flush_avx512(const ForwardRun *run, ImageGroup *g) {
  const DirectConvolution *c = run->c;
  if (g->count == 0) return;
  int tiles = run->tilesY * run->tilesX, rows = g->count * tiles;
  int64_t cin = c->cin, vRow = 16 * cin, mRow = (int64_t)run->panels * 16 * 32;
  for (int xi = 0; xi < 16; xi++)
    for (int panel = 0; panel < run->panels; panel++) {
      const float *u = run->packed + ((int64_t)xi * run->panels + panel) * cin * 32;
      float *m = g->M + (panel * 16 + xi) * 32;
      for (int t0 = 0; t0 < rows; t0 += 12) run->kernel(g->V + (int64_t)t0 * vRow + xi * cin, vRow, 0, 1, (int)cin, u, m + (int64_t)t0 * mRow, mRow);
    }
  __m512 zero = _mm512_setzero_ps();
  for (int slot = 0; slot < g->count; slot++) {
    int b = g->images[slot];
    for (int ty = 0; ty < run->tilesY; ty++) {
      int lastRow = 2 * ty + 1 >= c->h;
      for (int tx = 0; tx < run->tilesX; tx++) {
        int lastColumn = 2 * tx + 1 >= c->w;
        const float *mt = g->M + (int64_t)(slot * tiles + ty * run->tilesX + tx) * mRow;
        float *target = c->out + (((int64_t)b * c->h + 2 * ty) * c->w + 2 * tx) * c->cout;
        for (int first = 0; first < c->cout; first += 16) {
          __mmask16 lanes = lanes_avx512(c->cout - first);
          __m512 y[2][2], bias = c->bias ? _mm512_maskz_loadu_ps(lanes, c->bias + first) : zero;
          winograd_output_tile(mt + (first / 32) * 16 * 32 + first % 32, bias, c->relu, y);
          _mm512_mask_storeu_ps(target + first, lanes, y[0][0]);
          if (!lastColumn) _mm512_mask_storeu_ps(target + c->cout + first, lanes, y[0][1]);
          if (!lastRow) {
            _mm512_mask_storeu_ps(target + (int64_t)c->w * c->cout + first, lanes, y[1][0]);
            if (!lastColumn) _mm512_mask_storeu_ps(target + ((int64_t)c->w + 1) * c->cout + first, lanes, y[1][1]);
          }
        }
      }
    }
  }
  g->count = 0;
}

// The thread's buffers for its groups (0, or −1 where memory ran out).
static int group_begin_avx512(const ForwardRun *run, ImageGroup *g) {
  g->count = 0;
  g->V = g->M = NULL;
  if (run->kind != KIND_WINOGRAD) return 0;
  size_t vFloats = (size_t)run->groupRows * 16 * run->c->cin, mFloats = (size_t)run->groupRows * run->panels * 16 * 32;
  g->V = grow_avx512(&winograd_v, &winograd_v_size, vFloats);
  g->M = grow_avx512(&winograd_m, &winograd_m_size, mFloats);
  if (!g->V || !g->M) return -1;
  // The rows past the last tile are multiplied too (whole blocks of 12): finite, if unused.
  memset(g->V, 0, vFloats * sizeof(float));
  return 0;
}

// Image b's outputs from its padded copy: at once, or (Winograd) once its group is full.
static void group_add_avx512(const ForwardRun *run, ImageGroup *g, const float *buffer, int b) {
  if (run->kind != KIND_WINOGRAD) {
    forward_image_avx512(run, buffer, b);
    return;
  }
  winograd_input_avx512(run, buffer, g->V, g->count * run->tilesY * run->tilesX);
  g->images[g->count++] = b;
  if (g->count == run->groupImages) winograd_flush_avx512(run, g);
}

// A share of the images, on one thread.
static void forward_task_avx512(void *context, int index, int count) {
  ForwardRun *run = (ForwardRun *)context;
  const DirectConvolution *c = run->c;
  const Padded *p = &run->p;
  int first = (int)((int64_t)c->n * index / count), last = (int)((int64_t)c->n * (index + 1) / count);
  run->failed[index] = 0;
  if (first >= last) return;
  ImageGroup group;
  float *buffer = grow_avx512(&padded_buffer, &padded_size, (size_t)p->floats);
  if (!buffer || group_begin_avx512(run, &group) != 0) {
    run->failed[index] = 1;
    return;
  }
  memset(buffer, 0, (size_t)p->floats * sizeof(float));
  for (int b = first; b < last; b++) {
    fill_padded_avx512(p, c->input + (int64_t)b * c->h * c->w * c->cin, buffer, c->h, c->w, c->cin);
    group_add_avx512(run, &group, buffer, b);
  }
  winograd_flush_avx512(run, &group);
}

// Chooses the kernel and packs the filter: 0, −1 out of memory, 1 a geometry it does not take. The
// caller frees run->packed.
static int prepare_forward_avx512(ForwardRun *run, const DirectConvolution *c) {
  memset(run, 0, sizeof *run);
  run->c = c;
  if (padded_geometry_avx512(&run->p, c->h, c->w, c->cin, c->kh, c->kw, c->padTop, c->padLeft, c->padBottom, c->padRight) != 0) return 1;
  int runLength = c->kw * c->cin;
  if (c->winograd && c->kh == 3 && c->kw == 3 && c->padTop == 1 && c->padLeft == 1 && c->padBottom == 1 && c->padRight == 1 && c->cin % 16 == 0 &&
      c->cout >= 16) {
    run->kind = KIND_WINOGRAD;
    run->kernel = choose_b32_body_avx512(16 * (int64_t)c->cin);
    run->tilesY = (c->h + 1) / 2;
    run->tilesX = (c->w + 1) / 2;
    run->panels = (c->cout + 31) / 32;
    // About 192 tiles a group (a 14 × 14 image has 49): V and M of 32 channels then take 400 KB each.
    int tiles = run->tilesY * run->tilesX;
    run->groupImages = 192 / tiles < 1 ? 1 : 192 / tiles > 256 ? 256 : 192 / tiles;
    run->groupRows = ((run->groupImages * tiles + 11) / 12) * 12;
    size_t packedFloats = (size_t)16 * run->panels * c->cin * 32;
    float *packed = (float *)aligned_alloc(64, ((packedFloats * sizeof(float) + 63) / 64) * 64);
    if (!packed) return -1;
    // U = G g Gᵀ per channel pair, in double, rounded once.
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (int ch = 0; ch < c->cin; ch++)
      for (int o = 0; o < run->panels * 32; o++) {
        double g[3][3] = {{0}}, t[4][3];
        if (o < c->cout)
          for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) g[i][j] = filter_value_avx512(c, i, j, ch, o);
        for (int r = 0; r < 4; r++)
          for (int j = 0; j < 3; j++) t[r][j] = G[r][0] * g[0][j] + G[r][1] * g[1][j] + G[r][2] * g[2][j];
        for (int r = 0; r < 4; r++)
          for (int q = 0; q < 4; q++) {
            double u = t[r][0] * G[q][0] + t[r][1] * G[q][1] + t[r][2] * G[q][2];
            packed[(((int64_t)(r * 4 + q) * run->panels + o / 32) * c->cin + ch) * 32 + o % 32] = (float)u;
          }
      }
    run->packed = packed;
    return 0;
  }
  if (c->cout <= 8 && c->cin % 16 == 0) {
    int K = c->cout <= 4 ? 4 : 8;
    run->kind = KIND_DOT;
    run->rows = 24 / K;
    run->width = K;
    run->kernel = K == 4 ? choose_dot_body_k4_avx512(c->cin) : choose_dot_body_k8_avx512(c->cin);
  } else if (c->cout <= 16) {
    run->kind = KIND_B16;
    run->rows = 24;
    run->width = 16;
    run->kernel = choose_b16_body_avx512(c->cin);
  } else {
    run->kind = KIND_B32;
    run->rows = 12;
    run->width = 32;
    run->kernel = choose_b32_body_avx512(c->cin);
  }
  // The filter, packed: per panel of `width` channels [kh][kw·cin][width] (zeros past cout), or for
  // the dot kernel [K][kh][kw·cin].
  int panels = run->kind == KIND_DOT ? 1 : (c->cout + run->width - 1) / run->width;
  size_t packedFloats = (size_t)panels * run->width * c->kh * runLength;
  float *packed = (float *)aligned_alloc(64, ((packedFloats * sizeof(float) + 63) / 64) * 64);
  if (!packed) return -1;
  for (int panel = 0; panel < panels; panel++)
    for (int i = 0; i < c->kh; i++)
      for (int j = 0; j < c->kw; j++)
        for (int ch = 0; ch < c->cin; ch++)
          for (int l = 0; l < run->width; l++) {
            int o = panel * run->width + l, d = j * c->cin + ch;
            float value = o < c->cout ? filter_value_avx512(c, i, j, ch, o) : 0.0f;
            if (run->kind == KIND_DOT) packed[((int64_t)l * c->kh + i) * runLength + d] = value;
            else packed[(((int64_t)panel * c->kh + i) * runLength + d) * run->width + l] = value;
          }
  run->packed = packed;
  return 0;
}

static int thread_count_avx512(int threads, int images) {
  if (threads > images) threads = images;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  return threads < 1 ? 1 : threads;
}

int conv_forward_avx512(const DirectConvolution *c, int threads) {
  ForwardRun run;
  int prepared = prepare_forward_avx512(&run, c);
  if (prepared != 0) return prepared;
  threads = thread_count_avx512(threads, c->n);
  pool_run(threads, forward_task_avx512, &run);
  free((void *)run.packed);
  int failed = 0;
  for (int t = 0; t < threads; t++) failed |= run.failed[t];
  return failed ? -1 : 0;
}

// ---- the filter gradient --------------------------------------------------------------------------

// C[r, 0:cols) += Σ over the image's output positions of a[r] · dz[0:cols), r < 12, a advancing by
// rs per position and rowStep per output row, dz by dzStride and dzRowStep: 12 input values of a
// kernel row against 32 channels.
static void gradient_b32_avx512(const float *a0, int64_t rs, int64_t rowStep, int outH, int outW, const float *dz, int64_t dzStride, int64_t dzRowStep,
                                float *C, int64_t ldc, int rows, int cols) {
  __mmask16 m0 = lanes_avx512(cols), m1 = lanes_avx512(cols - 16);
  __m512 c[12][2];
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++) {
    c[r][0] = r < rows ? _mm512_maskz_loadu_ps(m0, C + r * ldc) : _mm512_setzero_ps();
    c[r][1] = r < rows ? _mm512_maskz_loadu_ps(m1, C + r * ldc + 16) : _mm512_setzero_ps();
  }
  for (int y = 0; y < outH; y++) {
    const float *a = a0 + y * rowStep;
    const float *z = dz + y * dzRowStep;
    for (int x = 0; x < outW; x++) {
      __m512 b0 = _mm512_maskz_loadu_ps(m0, z), b1 = _mm512_maskz_loadu_ps(m1, z + 16);
#pragma GCC unroll 12
      for (int r = 0; r < 12; r++) {
        __m512 v = _mm512_set1_ps(a[r]);
        c[r][0] = _mm512_fmadd_ps(v, b0, c[r][0]);
        c[r][1] = _mm512_fmadd_ps(v, b1, c[r][1]);
      }
      a += rs;
      z += dzStride;
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++)
    if (r < rows) {
      _mm512_mask_storeu_ps(C + r * ldc, m0, c[r][0]);
      _mm512_mask_storeu_ps(C + r * ldc + 16, m1, c[r][1]);
    }
}

// The transposed form for K = 4 or 8 output channels: C[o, 0:cols) += Σ dz[o] · a[0:cols), o < K,
// the input's values in 24 / K vectors of 16.
FLOWS_INLINE void gradient_dot_body(const float *a0, int64_t rs, int64_t rowStep, int outH, int outW, const float *dz, int64_t dzRowStep, float *C,
                                    int64_t ldc, int cols, const int K) {
  const int V = 24 / K;
  __m512 c[24];
  __mmask16 m[6];
#pragma GCC unroll 6
  for (int v = 0; v < V; v++) m[v] = lanes_avx512(cols - 16 * v);
#pragma GCC unroll 8
  for (int o = 0; o < K; o++)
#pragma GCC unroll 6
    for (int v = 0; v < V; v++) c[o * V + v] = _mm512_maskz_loadu_ps(m[v], C + o * ldc + 16 * v);
  for (int y = 0; y < outH; y++) {
    const float *a = a0 + y * rowStep;
    const float *z = dz + y * dzRowStep;
    for (int x = 0; x < outW; x++) {
      __m512 x_[6];
#pragma GCC unroll 6
      for (int v = 0; v < V; v++) x_[v] = _mm512_loadu_ps(a + 16 * v);
#pragma GCC unroll 8
      for (int o = 0; o < K; o++) {
        __m512 g = _mm512_set1_ps(z[o]);
#pragma GCC unroll 6
        for (int v = 0; v < V; v++) c[o * V + v] = _mm512_fmadd_ps(g, x_[v], c[o * V + v]);
      }
      a += rs;
      z += K;
    }
  }
#pragma GCC unroll 8
  for (int o = 0; o < K; o++)
#pragma GCC unroll 6
    for (int v = 0; v < V; v++) _mm512_mask_storeu_ps(C + o * ldc + 16 * v, m[v], c[o * V + v]);
}

static void gradient_dot4_avx512(const float *a0, int64_t rs, int64_t rowStep, int outH, int outW, const float *dz, int64_t dzRowStep, float *C, int64_t ldc,
                                 int cols) {
  gradient_dot_body(a0, rs, rowStep, outH, outW, dz, dzRowStep, C, ldc, cols, 4);
}
static void gradient_dot8_avx512(const float *a0, int64_t rs, int64_t rowStep, int outH, int outW, const float *dz, int64_t dzRowStep, float *C, int64_t ldc,
                                 int cols) {
  gradient_dot_body(a0, rs, rowStep, outH, outW, dz, dzRowStep, C, ldc, cols, 8);
}

typedef struct {
  const DirectFilterGradient *c;
  Padded p;
  int transposed;   // the dot form: partial sums as [cout][kh·kw·cin]
  float *partials;  // each thread's sums, one after the other (zeroed)
  int used[POOL_MAX_THREADS], failed[POOL_MAX_THREADS];
} GradientRun;

// Adds image b's terms to `partial`, from its padded copy and its dz (rows dzRowStep apart).
static void gradient_image_avx512(const GradientRun *run, const float *buffer, const float *dz, int64_t dzRowStep, float *partial) {
  const DirectFilterGradient *c = run->c;
  const Padded *p = &run->p;
  int runLength = c->kw * c->cin;
  int64_t rowStep = (int64_t)p->S * c->cin, columns = (int64_t)c->kh * runLength;
  for (int i = 0; i < c->kh; i++) {
    const float *a = buffer + i * rowStep;
    if (run->transposed) {
      int span = c->cout == 4 ? 96 : 48;
      for (int d = 0; d < runLength; d += span) {
        int cols = runLength - d < span ? runLength - d : span;
        if (c->cout == 4) gradient_dot4_avx512(a + d, c->cin, rowStep, p->outH, p->outW, dz, dzRowStep, partial + (int64_t)i * runLength + d, columns, cols);
        else gradient_dot8_avx512(a + d, c->cin, rowStep, p->outH, p->outW, dz, dzRowStep, partial + (int64_t)i * runLength + d, columns, cols);
      }
    } else {
      for (int d = 0; d < runLength; d += 12) {
        int rows = runLength - d < 12 ? runLength - d : 12;
        for (int o = 0; o < c->cout; o += 32)
          gradient_b32_avx512(a + d, c->cin, rowStep, p->outH, p->outW, dz + o, c->cout, dzRowStep, partial + ((int64_t)i * runLength + d) * c->cout + o,
                              c->cout, rows, c->cout - o);
      }
    }
  }
}

static void gradient_task_avx512(void *context, int index, int count) {
  GradientRun *run = (GradientRun *)context;
  const DirectFilterGradient *c = run->c;
  const Padded *p = &run->p;
  int first = (int)((int64_t)c->n * index / count), last = (int)((int64_t)c->n * (index + 1) / count);
  run->failed[index] = 0;
  run->used[index] = 0;
  if (first >= last) return;
  float *partial = run->partials + (size_t)index * c->kh * c->kw * c->cin * c->cout;
  float *buffer = grow_avx512(&padded_buffer, &padded_size, (size_t)p->floats);
  if (!buffer) {
    run->failed[index] = 1;
    return;
  }
  memset(buffer, 0, (size_t)p->floats * sizeof(float));
  for (int b = first; b < last; b++) {
    fill_padded_avx512(p, c->input + (int64_t)b * c->h * c->w * c->cin, buffer, c->h, c->w, c->cin);
    gradient_image_avx512(run, buffer, c->dz + (int64_t)b * p->outH * p->outW * c->cout, (int64_t)p->outW * c->cout, partial);
  }
  run->used[index] = 1;
}

// The threads' partial sums into the [kh·kw·cin, cout] gradient `out` (each transposed in the dot form).
static void add_partials_avx512(const GradientRun *run, int threads, float *out) {
  const DirectFilterGradient *c = run->c;
  int64_t columns = (int64_t)c->kh * c->kw * c->cin, size = columns * c->cout;
  memset(out, 0, (size_t)size * sizeof(float));
  for (int t = 0; t < threads; t++) {
    const float *partial = run->partials + t * size;
    if (!run->used[t]) continue;
    if (run->transposed) {
      for (int64_t d = 0; d < columns; d++)
        for (int o = 0; o < c->cout; o++) out[d * c->cout + o] += partial[o * columns + d];
    } else {
      for (int64_t e = 0; e < size; e++) out[e] += partial[e];
    }
  }
}

static int prepare_gradient_avx512(GradientRun *run, const DirectFilterGradient *c, int threads) {
  memset(run, 0, sizeof *run);
  run->c = c;
  if (padded_geometry_avx512(&run->p, c->h, c->w, c->cin, c->kh, c->kw, c->padTop, c->padLeft, c->padBottom, c->padRight) != 0) return 1;
  run->transposed = (c->cout == 4 || c->cout == 8) && c->kw * c->cin >= 16;
  run->partials = (float *)calloc((size_t)threads * c->kh * c->kw * c->cin * c->cout, sizeof(float));
  return run->partials ? 0 : -1;
}

int conv_filter_gradient_avx512(const DirectFilterGradient *c, int threads) {
  GradientRun run;
  threads = thread_count_avx512(threads, c->n);
  int prepared = prepare_gradient_avx512(&run, c, threads);
  if (prepared != 0) return prepared;
  pool_run(threads, gradient_task_avx512, &run);
  int failed = 0;
  for (int t = 0; t < threads; t++) failed |= run.failed[t];
  if (!failed) add_partials_avx512(&run, threads, c->out);
  free(run.partials);
  return failed ? -1 : 0;
}

// ---- a layer's whole gradient, image by image -------------------------------------------------------

// The input gradient (a forward convolution of the masked dz with the flipped filter) and the filter
// gradient share each image's masked dz, written once into a padded buffer (it is the input
// gradient's input, and its interior is the filter gradient's dz): dz, the layer's output and x
// are read from memory once each, and ReLU's derivative costs no pass of its own.
typedef struct {
  const DirectBackward *c;
  ForwardRun inputGradient;  // over the masked dz, into dx
  GradientRun filterGradient;
  float *biasSums;  // per thread, cout each
  int failed[POOL_MAX_THREADS];
} BackwardRun;

// Each thread's second padded buffer (the masked dz), as padded_buffer.
static __thread float *second_buffer = NULL;
static __thread size_t second_size = 0;

// Image b's masked dz (dz where the layer's output is positive, all of it for a linear layer) into
// its padded buffer, and its sums over the pixels added to `sums`.
static void masked_gradient_avx512(const DirectBackward *c, const Padded *p, int b, float *target, float *sums) {
  int64_t pixels = (int64_t)c->h * c->w;
  __m512 zero = _mm512_setzero_ps();
  for (int y = 0; y < c->h; y++) {
    const float *d = c->dz + ((int64_t)b * pixels + (int64_t)y * c->w) * c->cout;
    const float *z = c->output ? c->output + ((int64_t)b * pixels + (int64_t)y * c->w) * c->cout : NULL;
    float *row = target + (p->lead + (int64_t)y * p->S) * c->cout;
    for (int v = 0; v < c->cout; v += 16) {
      __mmask16 m = lanes_avx512(c->cout - v);
      __m512 total = _mm512_maskz_loadu_ps(m, sums + v);
      for (int x = 0; x < c->w; x++) {
        __m512 g = _mm512_maskz_loadu_ps(m, d + (int64_t)x * c->cout + v);
        if (z) g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, z + (int64_t)x * c->cout + v), zero, _CMP_GT_OQ), g);
        _mm512_mask_storeu_ps(row + (int64_t)x * c->cout + v, m, g);
        total = _mm512_add_ps(total, g);
      }
      _mm512_mask_storeu_ps(sums + v, m, total);
    }
  }
}

static void backward_task_avx512(void *context, int index, int count) {
  BackwardRun *run = (BackwardRun *)context;
  const DirectBackward *c = run->c;
  // x's and dz's padded images have one geometry ('same', stride 1), with cin and cout values a pixel.
  const Padded *p = &run->filterGradient.p;
  int first = (int)((int64_t)c->n * index / count), last = (int)((int64_t)c->n * (index + 1) / count);
  run->failed[index] = 0;
  run->filterGradient.used[index] = 0;
  float *sums = run->biasSums + (int64_t)index * c->cout;
  if (first >= last) return;
  int64_t xFloats = p->floats, dzFloats = run->inputGradient.p.floats;
  float *xBuffer = grow_avx512(&padded_buffer, &padded_size, (size_t)xFloats);
  float *dzBuffer = grow_avx512(&second_buffer, &second_size, (size_t)dzFloats);
  ImageGroup group;
  if (!xBuffer || !dzBuffer || group_begin_avx512(&run->inputGradient, &group) != 0) {
    run->failed[index] = 1;
    return;
  }
  memset(xBuffer, 0, (size_t)xFloats * sizeof(float));
  memset(dzBuffer, 0, (size_t)dzFloats * sizeof(float));
  float *partial = run->filterGradient.partials + (size_t)index * c->kh * c->kw * c->cin * c->cout;
  for (int b = first; b < last; b++) {
    masked_gradient_avx512(c, p, b, dzBuffer, sums);
    if (c->dx) group_add_avx512(&run->inputGradient, &group, dzBuffer, b);
    fill_padded_avx512(p, c->input + (int64_t)b * c->h * c->w * c->cin, xBuffer, c->h, c->w, c->cin);
    gradient_image_avx512(&run->filterGradient, xBuffer, dzBuffer + p->lead * c->cout, (int64_t)p->S * c->cout, partial);
  }
  if (c->dx) winograd_flush_avx512(&run->inputGradient, &group);
  run->filterGradient.used[index] = 1;
}

int conv_backward_avx512(const DirectBackward *c, int threads) {
  if (c->kh % 2 == 0 || c->kw % 2 == 0) return 1;
  int ph = (c->kh - 1) / 2, pw = (c->kw - 1) / 2;
  // The input gradient conv(masked dz, W flipped), 'same': its input pointer is unused (each image's
  // padded dz is made here).
  DirectConvolution inputGradient = {NULL, c->filter, NULL, c->dx, c->n, c->h, c->w, c->cout, c->kh, c->kw, c->cin, ph, pw, ph, pw, 0, 1, c->winograd};
  DirectFilterGradient filterGradient = {c->input, NULL, c->dFilter, c->n, c->h, c->w, c->cin, c->kh, c->kw, c->cout, ph, pw, ph, pw};
  BackwardRun run;
  memset(&run, 0, sizeof run);
  run.c = c;
  threads = thread_count_avx512(threads, c->n);
  int prepared = prepare_forward_avx512(&run.inputGradient, &inputGradient);
  if (prepared != 0) return prepared;
  prepared = prepare_gradient_avx512(&run.filterGradient, &filterGradient, threads);
  run.biasSums = (float *)calloc((size_t)threads * c->cout, sizeof(float));
  if (prepared != 0 || !run.biasSums) {
    free((void *)run.inputGradient.packed);
    free(run.filterGradient.partials);
    free(run.biasSums);
    return prepared > 0 ? 1 : -1;
  }
  pool_run(threads, backward_task_avx512, &run);
  int failed = 0;
  for (int t = 0; t < threads; t++) failed |= run.failed[t];
  if (!failed) {
    add_partials_avx512(&run.filterGradient, threads, c->dFilter);
    for (int o = 0; o < c->cout; o++) {
      float total = 0.0f;
      for (int t = 0; t < threads; t++) total += run.biasSums[t * c->cout + o];
      c->dBias[o] = total;
    }
  }
  free((void *)run.inputGradient.packed);
  free(run.filterGradient.partials);
  free(run.biasSums);
  return failed ? -1 : 0;
}

#endif
