import { replaceKernel } from '../replace-kernel.js';
import { copyStridedBlock, stridedBlockOf } from '../cpu/strided-slice.js';
import { elementCount, heapAddress, heapMemory, type WasmBackendHeap } from './wasm-heap.js';

let installed = false;

/**
 * Makes the `wasm` backend's `Slice` copy a block that is not contiguous in memory run by run on
 * the heap (`copyStridedBlock`, as the cpu backend's replacement does) instead of the stock kernel,
 * which took about 0.11 ms for each of the rational-quadratic spline's last-axis slices of a
 * [500, 49] parameter block (its widths, heights and derivatives): 7.5 of the 35 ms of kernels in a
 * training step of the playground's spline flow, more than its matrix products. Contiguous slices,
 * other types and ranks below 2 or above 8 keep the stock kernel, which is also the reference of
 * this one's test. Returns whether it is in place (false until the wasm backend's kernels are registered).
 */
export function registerWasmStridedSlice(): boolean {
  if (installed) return true;
  installed = replaceKernel('Slice', 'wasm', (args) => {
    const block = stridedBlockOf(args);
    const backend = args.backend as unknown as WasmBackendHeap;
    const memory = heapMemory(backend);
    if (!block || !memory) return null;
    const { x, begin, size } = block;
    const out = backend.makeOutput([...size], x.dtype);
    // Views taken after the output is made: making it may grow the heap, which replaces its buffer.
    const View = x.dtype === 'float32' ? Float32Array : Int32Array;
    const source = new View(memory.buffer, heapAddress(backend, x), elementCount(x));
    copyStridedBlock(source, x.shape, begin, size, new View(memory.buffer, heapAddress(backend, out), elementCount(out)));
    return out;
  });
  return installed;
}
