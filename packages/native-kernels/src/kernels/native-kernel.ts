import type * as tf from '@tensorflow/tfjs-core';
import type { FlowsKernelArguments, FlowsKernelName, FlowsKernelOutputs } from '@flows/kernels';
import type { NativeAddon } from '../addon.js';
import type { WasmBackendInternals } from './heap.js';

/** What one of the wasm backend's own kernels receives, with TensorFlow.js's types for that kernel's inputs I and attributes A. */
export interface WasmKernelArguments<I, A> {
  inputs: I;
  attrs: A;
  backend: WasmBackendInternals;
}

/**
 * A native kernel that replaces one of the wasm backend's own (a product, a convolution, an
 * elementwise function): `run` returns null for what it does not handle (another activation, a
 * broadcast batch, an integer tensor), and the backend's own kernel runs instead.
 */
export interface ReplacingKernel<I = unknown, A = unknown> {
  kind: 'replaces';
  kernelName: string;
  run(args: WasmKernelArguments<I, A>, addon: NativeAddon): tf.TensorInfo | null;
}

/** A native kernel for one of `@flows/kernels`' fused kernels, which the wasm backend lacks: typed by the contract of its name. */
export interface FusedKernel<N extends FlowsKernelName = FlowsKernelName> {
  kind: 'fused';
  kernelName: N;
  run(args: FlowsKernelArguments<N, WasmBackendInternals>, addon: NativeAddon): FlowsKernelOutputs<N, tf.TensorInfo>;
}

/** One of the package's wasm kernels, as the registration list holds them. */
export type NativeKernel = ReplacingKernel | FusedKernel;
