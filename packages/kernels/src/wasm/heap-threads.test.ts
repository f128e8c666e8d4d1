import { afterEach, describe, expect, it } from 'vitest';
import { HeapThreads, type SimdKernelExports, threadBand } from './heap-threads.js';
import { SIMD_KERNELS_SCRATCH_BYTES, SIMD_KERNELS_SHARED_WASM } from './simd-kernels-wasm.js';

/** simd-kernels.wat on a shared memory of our own, as the threaded build's heap is. */
async function sharedKernels() {
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
  const module = await WebAssembly.compile(Buffer.from(SIMD_KERNELS_SHARED_WASM, 'base64'));
  const exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as SimdKernelExports;
  return { memory, module, exports };
}

const SCRATCH = 64;

/** A [m, k] · [k, n] product laid out in the memory (C filled with NaN): its arguments before the rows, and C. */
function layout(memory: WebAssembly.Memory, m: number, k: number, n: number) {
  const heap = new Float32Array(memory.buffer);
  const a = SCRATCH + 3 * SIMD_KERNELS_SCRATCH_BYTES;
  const b = a + m * k * 4;
  const c = b + k * n * 4;
  for (let i = 0; i < m * k + k * n; i++) heap[a / 4 + i] = Math.sin(i * 0.37);
  heap.fill(Number.NaN, c / 4, c / 4 + m * n);
  return { args: [a, k, 1, b, n, 1, c, n, k, n], bias: b, read: () => heap.slice(c / 4, c / 4 + m * n) };
}

/** Adam's operands of n values laid out in the memory (in place): its seven addresses and a reader of p, m, v. */
function adamLayout(memory: WebAssembly.Memory, n: number) {
  const heap = new Float32Array(memory.buffer);
  const base = SCRATCH + 3 * SIMD_KERNELS_SCRATCH_BYTES;
  const [p, g, m, v] = [0, 1, 2, 3].map((i) => base + i * n * 4);
  for (let i = 0; i < n; i++) {
    heap[p / 4 + i] = Math.cos(i);
    heap[g / 4 + i] = Math.sin(i * 1.3);
    heap[m / 4 + i] = 0.1 * Math.sin(i);
    heap[v / 4 + i] = 0.01 * (1 + Math.cos(i));
  }
  return { addresses: [p, g, m, v, p, m, v], read: () => [p, m, v].map((at) => heap.slice(at / 4, at / 4 + n)) };
}
const ADAM_NUMBERS = [0.9, 0.1, 0.999, 0.001, 0.5, 1e-3, 1.25, 1e-7, 0.99];

let running: HeapThreads | null = null;
afterEach(() => {
  running?.stop();
  running = null;
});

describe('HeapThreads: one kernel’s work split between threads on a shared heap', () => {
  it('gives each thread whole units (row pairs, lanes), the last one what is left, covering the range once and in order', () => {
    for (const [first, end, threads, unit] of [
      [0, 256, 2, 2],
      [0, 7, 2, 2],
      [3, 4, 3, 2],
      [0, 1, 2, 2],
      [5, 40, 3, 2],
      [0, 1001, 2, 4],
      [0, 3, 4, 4],
    ]) {
      const bands = Array.from({ length: threads }, (_, index) => threadBand(first, end, index, threads, unit));
      expect(bands[0][0]).toBe(first);
      expect(bands.at(-1)![1]).toBe(end);
      bands.forEach(([from, to], i) => {
        expect(to).toBeGreaterThanOrEqual(from);
        if (i > 0) expect(from).toBe(bands[i - 1][1]);
        if (i < threads - 1) expect((to - from) % unit).toBe(0);
      });
    }
  });

  it('products: bit for bit what one thread computes (each value is one thread’s sum, in the same order), bias and ReLU included', async () => {
    const { memory, module, exports } = await sharedKernels();
    const [m, k, n] = [61, 300, 37];
    const one = layout(memory, m, k, n);
    exports.product(...one.args, 0, m, one.bias, 3, SCRATCH);
    const alone = one.read();
    expect(alone.every(Number.isFinite)).toBe(true);
    running = await HeapThreads.start(exports, module, memory, 2, { at: SCRATCH, bytes: SIMD_KERNELS_SCRATCH_BYTES });
    expect(await running.whenReady()).toBe(true);
    for (let round = 0; round < 3; round++) {
      const together = layout(memory, m, k, n);
      running.product(together.args, 0, m, together.bias, 3);
      expect(together.read()).toEqual(alone);
    }
    // A band of rows only (as one matrix of a batch asks for): the other rows are untouched.
    const part = layout(memory, m, k, n);
    running.product(part.args, 10, 21, part.bias, 3);
    const rows = part.read();
    expect(rows.slice(10 * n, 21 * n)).toEqual(alone.slice(10 * n, 21 * n));
    expect(Number.isNaN(rows[0]) && Number.isNaN(rows[21 * n])).toBe(true);
  });

  it('Adam: bit for bit what one thread computes, in place, a length that is not a multiple of the lanes included', async () => {
    const { memory, module, exports } = await sharedKernels();
    const n = 40_003;
    const one = adamLayout(memory, n);
    exports.adam(...one.addresses, 0, n, ...ADAM_NUMBERS);
    const alone = one.read();
    running = await HeapThreads.start(exports, module, memory, 2, { at: SCRATCH, bytes: SIMD_KERNELS_SCRATCH_BYTES });
    expect(await running.whenReady()).toBe(true);
    const together = adamLayout(memory, n);
    running.adam(together.addresses, ADAM_NUMBERS, 0, n);
    expect(together.read()).toEqual(alone);
    // The formula, in float32 as the kernel computes it, at a few elements.
    const f = Math.fround;
    for (const i of [0, 1, 2, 3, 4, 20_000, n - 1]) {
      const [p, g, m, v] = [f(Math.cos(i)), f(Math.sin(i * 1.3)), f(0.1 * Math.sin(i)), f(0.01 * (1 + Math.cos(i)))];
      const gs = f(g * f(0.5));
      const m1 = f(f(m * f(0.9)) + f(gs * f(0.1)));
      const v1 = f(f(v * f(0.999)) + f(f(gs * gs) * f(0.001)));
      const p1 = f(f(p * f(0.99)) - f(f(m1 * f(1e-3)) / f(f(Math.sqrt(f(v1 * f(1.25)))) + f(1e-7))));
      expect([alone[0][i], alone[1][i], alone[2][i]]).toEqual([p1, m1, v1]);
    }
  });

  it('a helper that traps makes the work throw (never a wait for ever), and the threads stop', async () => {
    const { memory, module, exports } = await sharedKernels();
    running = await HeapThreads.start(exports, module, memory, 1, { at: SCRATCH, bytes: SIMD_KERNELS_SCRATCH_BYTES });
    expect(await running.whenReady()).toBe(true);
    // C placed so that the first band of rows (the caller's) fits in the memory and the second (the helper's) does not.
    const at = layout(memory, 8, 20, 1024);
    const end = memory.buffer.byteLength;
    const args = [...at.args];
    args[6] = end - 5 * 1024 * 4;
    expect(() => running!.product(args, 0, 8, 0, 0)).toThrow(/a thread of the wasm kernels failed/);
    expect(running.ready).toBe(false);
    // Afterwards the caller's thread does the work alone.
    const again = layout(memory, 9, 20, 5);
    running.product(again.args, 0, 9, 0, 0);
    expect(again.read().every(Number.isFinite)).toBe(true);
  });

  it('runs on the caller’s thread alone when the helpers never start, and after stop', async () => {
    const { memory, module, exports } = await sharedKernels();
    const silent = async () => ({ terminate: () => undefined });
    running = await HeapThreads.start(exports, module, memory, 1, { at: SCRATCH, bytes: SIMD_KERNELS_SCRATCH_BYTES }, silent);
    expect(await running.whenReady(50)).toBe(false);
    const at = layout(memory, 9, 20, 5);
    running.product(at.args, 0, 9, 0, 0);
    const expected = at.read();
    expect(expected.every(Number.isFinite)).toBe(true);
    const started = await HeapThreads.start(exports, module, memory, 1, { at: SCRATCH, bytes: SIMD_KERNELS_SCRATCH_BYTES });
    expect(await started.whenReady()).toBe(true);
    started.stop();
    expect(started.ready).toBe(false);
    const after = layout(memory, 9, 20, 5);
    started.product(after.args, 0, 9, 0, 0);
    expect(after.read()).toEqual(expected);
  });
});
