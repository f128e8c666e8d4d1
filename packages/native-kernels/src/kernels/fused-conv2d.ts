import { type ConvolutionAttrs, type ConvolutionInputs, nativeConv2D } from './convolution.js';
import type { ReplacingKernel } from './native-kernel.js';

/** The wasm backend's `FusedConv2D` (convolution, bias, activation), natively for no or ReLU activation: see {@link nativeConv2D}. */
export const fusedConv2d: ReplacingKernel<ConvolutionInputs, ConvolutionAttrs> = { kind: 'replaces', kernelName: 'FusedConv2D', run: nativeConv2D };
