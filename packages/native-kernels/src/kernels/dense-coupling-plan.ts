import type * as tf from '@tensorflow/tfjs-core';
import { DENSE_COUPLING_MAX_LAYERS, type DenseCouplingInverseAttrs } from '@flows/kernels';
import { elementCount, heapFloats, heapOffset, type WasmBackendInternals } from './heap.js';

/** The shapes of one fused dense coupling (`native/dense-coupling.c`), checked. */
export interface DenseCouplingShapes {
  batch: number;
  /** The event's size D. */
  size: number;
  /** The context's width C. */
  contextSize: number;
  /** How many coordinates the mask keeps (m̄ = 0): |K|. */
  kept: number;
  /** Each network's stored widths: `[D + C, hidden…, D]`. */
  widths: [number[], number[]];
}

const NETWORKS = ['scale', 'translation'] as const;

/**
 * Checks the operands of the fused coupling (float32 throughout, `y` `[batch, …event]`, the mask
 * and factor of the event's shape, the context `[batch, C]`, each network's weights chained from
 * `D + C` to `D` with biases to match) and counts the mask's kept coordinates from its values in
 * the heap; a RangeError naming the kernel and the operand otherwise.
 */
export function denseCouplingShapes(
  name: string,
  backend: WasmBackendInternals,
  operands: { y: tf.TensorInfo; inverseMask: tf.TensorInfo; scaleFactor: tf.TensorInfo; context: tf.TensorInfo },
  weight: (network: 'scale' | 'translation', i: number) => tf.TensorInfo | undefined,
  bias: ((network: 'scale' | 'translation', i: number) => tf.TensorInfo | undefined) | null,
  attrs: DenseCouplingInverseAttrs,
): DenseCouplingShapes {
  const fail = (what: string): never => {
    throw new RangeError(`${name}: ${what}`);
  };
  const { y, inverseMask, scaleFactor, context } = operands;
  const all = [y, inverseMask, scaleFactor, context];
  if (all.some((t) => t.dtype !== 'float32')) fail('every operand must be float32');
  if (y.shape.length < 2) fail(`y must be [batch, …event], got [${y.shape}]`);
  const batch = y.shape[0];
  const event = y.shape.slice(1);
  const size = elementCount(inverseMask);
  const sameEvent = (t: tf.TensorInfo) => t.shape.length === event.length && t.shape.every((d, i) => d === event[i]);
  if (!sameEvent(inverseMask) || !sameEvent(scaleFactor))
    fail(`the mask and factor must have the event's shape [${event}], got [${inverseMask.shape}] and [${scaleFactor.shape}]`);
  if (context.shape.length !== 2 || context.shape[0] !== batch) fail(`the context must be [${batch}, C], got [${context.shape}]`);
  const contextSize = context.shape[1];
  const widths: [number[], number[]] = [[], []];
  NETWORKS.forEach((network, n) => {
    const layers = n === 0 ? attrs.scaleLayers : attrs.translationLayers;
    if (!Number.isInteger(layers) || layers < 1 || layers > DENSE_COUPLING_MAX_LAYERS)
      fail(`the ${network} network must have 1 to ${DENSE_COUPLING_MAX_LAYERS} layers, got ${layers}`);
    const w = widths[n];
    w.push(size + contextSize);
    for (let i = 0; i < layers; i++) {
      const W = weight(network, i);
      if (W?.dtype !== 'float32' || W.shape.length !== 2 || W.shape[0] !== w[i])
        fail(`${network} weight ${i} must be float32 [${w[i]}, out], got ${W ? `[${W.shape}]` : 'none'}`);
      const out = (W as tf.TensorInfo).shape[1];
      const b = bias?.(network, i);
      if (bias && (b?.dtype !== 'float32' || b.shape.length !== 1 || b.shape[0] !== out))
        fail(`${network} bias ${i} must be float32 [${out}], got ${b ? `[${b.shape}]` : 'none'}`);
      w.push(out);
    }
    if (w[layers] !== size) fail(`the ${network} network must end in ${size} outputs, got ${w[layers]}`);
  });
  const mask = new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, inverseMask) * 4, size);
  let kept = 0;
  for (let d = 0; d < size; d++) {
    if (mask[d] === 0) kept++;
    else if (mask[d] !== 1) fail(`the inverse mask must hold only 0 and 1, got ${mask[d]} at ${d}`);
  }
  return { batch, size, contextSize, kept, widths };
}

/** The plan's head (`native/dense-coupling.c`, read_plan): the shapes, the layer counts and the widths. */
export function planHead(shapes: DenseCouplingShapes, tanh: boolean): number[] {
  return [
    shapes.batch,
    shapes.size,
    shapes.contextSize,
    shapes.kept,
    tanh ? 1 : 0,
    shapes.widths[0].length - 1,
    shapes.widths[1].length - 1,
    ...shapes.widths.flat(),
  ];
}

/**
 * The shapes of a network's gathered weights (its first layer's at the rows of u, `[|K| + C, out_0]`,
 * at the columns of T too when it is the only layer; with more layers, the last's at the columns of T).
 */
export function gatheredShapes(widths: number[], inputWidth: number, transformed: number): number[][] {
  const layers = widths.length - 1;
  if (layers === 1) return [[inputWidth, transformed]];
  return [
    [inputWidth, widths[1]],
    [widths[layers - 1], transformed],
  ];
}

/** Layer i's gathered copy of `copies` (from {@link gatheredShapes}), or null for a middle layer. */
export function gatheredOf<T>(copies: T[], i: number, layers: number): T | null {
  if (i === 0) return copies[0];
  return i === layers - 1 ? copies[1] : null;
}

/** Runs `call` with the heap and an offset function, both read after every output is made (making one may move the heap). */
export function withHeap<R>(backend: WasmBackendInternals, call: (heap: Float32Array, offset: (t: tf.TensorInfo | null) => number) => R): R {
  return call(heapFloats(backend), (t) => (t ? heapOffset(backend, t) : 0));
}
