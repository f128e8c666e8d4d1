// Direct stride-1 convolutions on the addon's own AVX-512 micro-kernels (convolution-avx512.c):
// the forward convolution (also the input gradient, through a flipped filter) and the filter gradient.
#ifndef FLOWS_CONVOLUTION_DIRECT_H
#define FLOWS_CONVOLUTION_DIRECT_H

#include <stdint.h>

/**
 * out[b, y, x, o] = Σ_{i,j,c} in[b, y + i − padTop, x + j − padLeft, c] F[i, j, c, o] (+ bias[o]) (then
 * ReLU), zero outside the image; outH = h + padTop + padBottom − kh + 1, outW likewise.
 * F is `filter` as [kh, kw, cin, cout], or with `flipped` a layer's filter [kh, kw, cout, cin] read
 * rotated by 180° with its channels swapped, F[i, j, c, o] = filter[kh−1−i, kw−1−j, o, c]: the input
 * gradient of that layer, computed from dz without a rotated copy.
 */
typedef struct {
  const float *input, *filter, *bias;
  float *out;
  int n, h, w, cin, kh, kw, cout, padTop, padLeft, padBottom, padRight, relu, flipped;
  /** Whether a 3 × 3 'same' convolution with at least 16 channels each way (and input channels a
   *  multiple of 16) may use Winograd's F(2 × 2, 3 × 3) (convolution-avx512.c). */
  int winograd;
} DirectConvolution;

/** dW[i, j, c, o] = Σ_{b,y,x} in[b, y + i − padTop, x + j − padLeft, c] dz[b, y, x, o] (zero outside), for dz of [n, outH, outW, cout]. */
typedef struct {
  const float *input, *dz;
  float *out;
  int n, h, w, cin, kh, kw, cout, padTop, padLeft, padBottom, padRight;
} DirectFilterGradient;

/**
 * The gradients of z = a(conv(x, W, stride 1, 'same') + b) (odd kh, kw; a = ReLU where `output`, the
 * layer's z, is given, else the identity) from dz: dx [n, h, w, cin] (unless NULL), dFilter
 * [kh, kw, cin, cout] and dBias [cout].
 */
typedef struct {
  const float *input, *filter, *dz, *output;
  float *dx, *dFilter, *dBias;
  int n, h, w, cin, kh, kw, cout;
  int winograd;  // as DirectConvolution's, for the input gradient
} DirectBackward;

/**
 * Each returns 0 when done, −1 where memory ran out (the output is then incomplete); the images are
 * split between `threads` threads of the pool. Built into the avx512 path alone and reached through
 * its table (isa.h: `conv_forward`, `conv_filter_gradient`, `conv_backward`), NULL elsewhere.
 */
int conv_forward_avx512(const DirectConvolution *c, int threads);
int conv_filter_gradient_avx512(const DirectFilterGradient *c, int threads);
int conv_backward_avx512(const DirectBackward *c, int threads);

#endif
