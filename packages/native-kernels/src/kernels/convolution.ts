import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapFloats, heapOffset } from './heap.js';
import type { WasmKernelArguments } from './native-kernel.js';

/** The inputs of both convolution kernels: `Conv2D`'s x and filter, `FusedConv2D`'s also a bias and PReLU weights. */
export type ConvolutionInputs = Partial<tf.FusedConv2DInputs>;
/** The attributes of both: `Conv2D` has no activation (linear). */
export type ConvolutionAttrs = tf.Conv2DAttrs & Partial<Pick<tf.FusedConv2DAttrs, 'activation'>>;

/**
 * A 2-D convolution (NHWC, any stride, padding and dilation; no or ReLU activation) on the wasm
 * heap, as im2col and OpenBLAS products over blocks of output pixels (`native/convolution.c`).
 * Null for what it does not handle (NCHW, other activations, PReLU, integer tensors): the stock
 * kernel runs those.
 */
export function nativeConv2D({ inputs, backend, attrs }: WasmKernelArguments<ConvolutionInputs, ConvolutionAttrs>, addon: NativeAddon): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = inputs;
  if (!x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32' || preluActivationWeights) return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const activation = attrs.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return null;
  const out = backend.makeOutput([...info.outShape], 'float32');
  if (info.outShape.some((d) => d === 0)) return out;
  const offset = (t: tf.TensorInfo) => heapOffset(backend, t);
  addon.conv2d(
    heapFloats(backend),
    offset(x),
    offset(filter),
    bias ? offset(bias) : -1,
    offset(out),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    activation === 'relu' ? 1 : 0,
  );
  return out;
}
