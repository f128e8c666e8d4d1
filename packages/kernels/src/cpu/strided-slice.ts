import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from '../replace-kernel.js';

/** The typed arrays the `cpu` backend keeps its numeric tensors in. */
type Values = Float32Array | Int32Array;

interface CpuBackend {
  data: { get(dataId: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}

/**
 * Copies the block `begin … begin + size` of a row-major tensor of `shape` into `out`, one run of
 * the last axis at a time, with the outer indices counted like an odometer (no per-element index
 * arithmetic). Exported for its test.
 */
export function copyStridedBlock(source: Values, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Values): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  const run = size[rank - 1];
  const runs = out.length / run;
  const index = new Array<number>(rank - 1).fill(0);
  let from = 0;
  for (let a = 0; a < rank; a++) from += begin[a] * strides[a];
  let to = 0;
  for (let r = 0; r < runs; r++) {
    // Short runs (the spline's bins: 8 to 24 values) copy fastest by hand; long ones by set().
    if (run < 64) for (let j = 0; j < run; j++) out[to + j] = source[from + j];
    else out.set(source.subarray(from, from + run), to);
    to += run;
    // Advance the odometer over the outer axes, innermost first.
    for (let a = rank - 2; a >= 0; a--) {
      index[a] += 1;
      from += strides[a];
      if (index[a] < size[a]) break;
      from -= size[a] * strides[a];
      index[a] = 0;
    }
  }
}

/**
 * The block a `Slice` call asks for, where a run-by-run copy serves it: float32 or int32, rank 2
 * to 8, not contiguous in memory and not empty; null where the stock kernel should run (and the
 * parameters checked as the stock kernel checks them). Shared by the cpu and wasm replacements.
 */
export function stridedBlockOf(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): { x: tf.TensorInfo; begin: number[]; size: number[] } | null {
  const x = args.inputs.x as tf.TensorInfo;
  const rank = x.shape.length;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || rank < 2 || rank > 8) return null;
  const attrs = args.attrs as unknown as tf.SliceAttrs;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size) || size.some((d) => d === 0)) return null;
  return { x, begin, size };
}

let installed = false;

/**
 * Makes the `cpu` backend's `Slice` copy a block that is not contiguous in memory run by run
 * ({@link copyStridedBlock}) instead of element by element through a `TensorBuffer`, whose index
 * arithmetic per element made the last-axis slices of the rational-quadratic spline (its widths,
 * heights and derivatives, and the bin picks) most of a spline flow's training step on this backend
 * (`bench/results.md`). Contiguous slices, other types and ranks above 8 keep the stock kernel,
 * which is also the reference of this one's test. Returns whether it is in place (false until the
 * cpu backend's kernels are registered).
 */
export function registerCpuStridedSlice(): boolean {
  if (installed) return true;
  const replaced = replaceKernel('Slice', 'cpu', (args) => {
    const block = stridedBlockOf(args);
    if (!block) return null;
    const { x, begin, size } = block;
    const backend = args.backend as unknown as CpuBackend;
    const source = backend.data.get(x.dataId).values;
    const count = size.reduce((a, b) => a * b, 1);
    const out = new (source.constructor as new (n: number) => Values)(count);
    copyStridedBlock(source, x.shape, begin, size, out);
    return backend.makeTensorInfo([...size], x.dtype, out);
  });
  if (!replaced) return false;
  registerCpuStridedSplit();
  installed = true;
  return true;
}

/**
 * Likewise `SplitV` (`tf.split`), which the stock kernel computes as one stock slice per piece:
 * along any axis but the first, each piece is copied run by run. Along the first axis (contiguous
 * pieces), for other types and ranks, the stock kernel.
 */
function registerCpuStridedSplit(): void {
  replaceKernel('SplitV', 'cpu', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const rank = x.shape.length;
    const attrs = args.attrs as unknown as tf.SplitVAttrs;
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || rank < 2 || rank > 8 || axis === 0) return null;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const backend = args.backend as unknown as CpuBackend;
    const source = backend.data.get(x.dataId).values;
    const begin = new Array<number>(rank).fill(0);
    return sizes.map((width) => {
      const size = [...x.shape];
      size[axis] = width;
      const out = new (source.constructor as new (n: number) => Values)(size.reduce((a, b) => a * b, 1));
      if (out.length > 0) copyStridedBlock(source, x.shape, begin, size, out);
      begin[axis] += width;
      return backend.makeTensorInfo(size, x.dtype, out);
    });
  });
}
