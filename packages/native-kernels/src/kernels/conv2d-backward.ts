import { CONV2D_BACKWARD } from '@flows/kernels';
import { heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `convolutionBackward`: a stride-1 'same' convolution layer's whole gradient in
 * one native call (`native/convolution.c`): ReLU's derivative applied to dz once (with the bias
 * gradient summed on the way), then the input gradient as a convolution with the filter read
 * rotated and the filter gradient, on the path's direct convolutions (the avx512 path) or im2col
 * and OpenBLAS.
 */
export const conv2dBackward: FusedKernel<typeof CONV2D_BACKWARD> = {
  kind: 'fused',
  kernelName: CONV2D_BACKWARD,
  run({ inputs, backend, attrs }, addon) {
    const { x, filter, dz, output } = inputs;
    const relu = attrs.activation === 'relu';
    if ([x, filter, dz, output].some((t) => t.dtype !== 'float32' || t.shape.length !== 4))
      throw new RangeError(`${CONV2D_BACKWARD}: expected float32 4-D tensors, got x [${x.shape}], filter [${filter.shape}], dz [${dz.shape}]`);
    const [n, h, w, cin] = x.shape;
    const [kh, kw, fin, cout] = filter.shape;
    if (kh % 2 !== 1 || kw % 2 !== 1 || fin !== cin)
      throw new RangeError(`${CONV2D_BACKWARD}: the filter [${filter.shape}] must be odd and take x's ${cin} channels`);
    const expected = [n, h, w, cout];
    if (dz.shape.some((d, i) => d !== expected[i]) || (relu && output.shape.some((d, i) => d !== expected[i])))
      throw new RangeError(`${CONV2D_BACKWARD}: dz [${dz.shape}] and the output [${output.shape}] must be [${expected}]`);
    const dx = backend.makeOutput([n, h, w, cin], 'float32');
    const dFilter = backend.makeOutput([kh, kw, cin, cout], 'float32');
    const dBias = backend.makeOutput([cout], 'float32');
    const offset = (t: typeof x) => heapOffset(backend, t);
    addon.conv2dBackward(
      heapFloats(backend),
      offset(x),
      offset(filter),
      offset(dz),
      relu ? offset(output) : -1,
      offset(dx),
      offset(dFilter),
      offset(dBias),
      n,
      h,
      w,
      cin,
      kh,
      kw,
      cout,
    );
    return [dx, dFilter, dBias];
  },
};
