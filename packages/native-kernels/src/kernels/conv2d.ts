import { type ConvolutionAttrs, type ConvolutionInputs, nativeConv2D } from './convolution.js';
import type { ReplacingKernel } from './native-kernel.js';

/** The wasm backend's `Conv2D`, natively: see {@link nativeConv2D}. */
export const conv2d: ReplacingKernel<ConvolutionInputs, ConvolutionAttrs> = { kind: 'replaces', kernelName: 'Conv2D', run: nativeConv2D };
