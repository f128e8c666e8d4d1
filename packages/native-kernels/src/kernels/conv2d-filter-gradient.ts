import { CONV2D_FILTER_GRADIENT } from '@flows/kernels';
import { heapFloats, heapOffset } from './heap.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `convolutionFilterGradient`, which the wasm backend has no kernel for: the
 * filter gradient `[k, k, C_in, C_out]` of a stride-1 'same' convolution, as the forward pass's
 * patches times dz, by OpenBLAS, each thread summing its share of the pixels (`native/convolution.c`).
 */
export const conv2dFilterGradient: FusedKernel<typeof CONV2D_FILTER_GRADIENT> = {
  kind: 'fused',
  kernelName: CONV2D_FILTER_GRADIENT,
  run({ inputs, backend, attrs }, addon) {
    const { x, dz } = inputs;
    const { kernelSize } = attrs;
    const [n, h, w, cin] = x.shape;
    const cout = dz.shape[3];
    if (x.dtype !== 'float32' || dz.dtype !== 'float32' || x.shape.length !== 4 || dz.shape.length !== 4 || kernelSize % 2 !== 1)
      throw new RangeError(
        `${CONV2D_FILTER_GRADIENT}: expected float32 [N, H, W, C] tensors and an odd filter size, got ${x.shape} and ${dz.shape}, ${kernelSize}`,
      );
    if (dz.shape[0] !== n || dz.shape[1] !== h || dz.shape[2] !== w)
      throw new RangeError(`${CONV2D_FILTER_GRADIENT}: dz [${dz.shape}] does not match x [${x.shape}]`);
    const out = backend.makeOutput([kernelSize, kernelSize, cin, cout], 'float32');
    if (n * h * w === 0) return out;
    const offset = (t: typeof x) => heapOffset(backend, t);
    addon.conv2dFilterGradient(heapFloats(backend), offset(x), offset(dz), offset(out), n, h, w, cin, kernelSize, kernelSize, cout);
    return out;
  },
};
