import type * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateAttrs, type AdamUpdateInputs } from './kernel-contract.js';

/** What an {@link ADAM_UPDATE} kernel on the wasm heap needs of its backend. */
export interface AdamUpdateHeap {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  refCount(dataId: object): number;
  incRef(dataId: object): void;
}

const elementCount = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);

/**
 * The checks and outputs every {@link ADAM_UPDATE} kernel on the wasm heap shares (the own
 * WebAssembly one of this package and the native one of `@flows/native-kernels`): float32 moments
 * of one length, each parameter with a gradient of its size, as many values as the moments; then
 * the outputs, in place where nothing but the input's own tensor references each moment's and
 * parameter's memory (an optimizer's moments, a variable after its step's tape is gone: the
 * outputs are the inputs' memory, one reference more, as the sharing Identity returns it), fresh
 * anywhere else (a clone of a variable kept by its caller, one tensor passed twice). Throws a
 * RangeError naming what does not fit.
 */
export function planAdamUpdate(inputs: AdamUpdateInputs<tf.TensorInfo>, attrs: AdamUpdateAttrs, backend: AdamUpdateHeap) {
  const { firstMoment, secondMoment } = inputs;
  const total = elementCount(firstMoment);
  const fail = (what: string): never => {
    throw new RangeError(`${ADAM_UPDATE}: ${what}`);
  };
  if (!Number.isInteger(attrs.count) || attrs.count < 0) fail(`a count of variables, got ${attrs.count}`);
  if (firstMoment.dtype !== 'float32' || secondMoment.dtype !== 'float32' || elementCount(secondMoment) !== total)
    fail(`float32 moments of one length, got [${firstMoment.shape}] and [${secondMoment.shape}]`);
  const variables = Array.from({ length: attrs.count }, (_, i) => {
    const parameter = inputs[`parameter${i}`];
    const gradient = inputs[`gradient${i}`];
    if (!parameter || !gradient || parameter.dtype !== 'float32' || gradient.dtype !== 'float32' || elementCount(gradient) !== elementCount(parameter))
      fail(
        `parameter ${i} and its gradient must be float32 of one size, got ${parameter ? `[${parameter.shape}]` : 'none'} and ${gradient ? `[${gradient.shape}]` : 'none'}`,
      );
    return { parameter, gradient };
  });
  const sizes = variables.reduce((sum, { parameter }) => sum + elementCount(parameter), 0);
  if (sizes !== total) fail(`the variables hold ${sizes} values but the moments ${total}`);
  const written = [firstMoment, secondMoment, ...variables.map(({ parameter }) => parameter)];
  const ids = new Set(written.map((t) => t.dataId));
  const inPlace =
    ids.size === written.length && written.every((t) => backend.refCount(t.dataId) === 1) && variables.every(({ gradient }) => !ids.has(gradient.dataId));
  const output = (t: tf.TensorInfo): tf.TensorInfo => {
    if (!inPlace) return backend.makeOutput([...t.shape], 'float32');
    backend.incRef(t.dataId);
    return { dataId: t.dataId, shape: [...t.shape], dtype: t.dtype };
  };
  const m = output(firstMoment);
  const v = output(secondMoment);
  const updated = variables.map(({ parameter }) => output(parameter));
  return { total, variables, m, v, updated };
}
