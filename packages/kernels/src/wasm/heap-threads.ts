import { importNodeBuiltin, isNode } from '@flows/core';

/** The exports of simd-kernels.wat that the threads call (see there for their arguments). */
export interface SimdKernelExports {
  /** (a, sAi, sAk, b, sBk, sBj, c, ldc, K, N, i0, i1, bias, flags, scratch): rows [i0, i1) of a product. */
  product(...args: number[]): void;
  /** (p, g, m, v, pOut, mOut, vOut, from, to, β₁, 1 − β₁, β₂, 1 − β₂, scale, stepSize, c₂⁻¹, ε, decay): Adam over [from, to). */
  adam(...args: number[]): void;
  /** (g, from, to): Σ g² in doubles. */
  sumsq(g: number, from: number, to: number): number;
}

/** The own wasm kernels once installed: simd-kernels.wat on the backend's heap, its threads, the caller's scratch. */
export interface OwnWasmKernels {
  exports: SimdKernelExports;
  /** Null on one thread (the heap is not shared, or one was asked for). */
  threads: HeapThreads | null;
  scratch: number;
}

/** Arguments of `product` before its rows: a, sAi, sAk, b, sBk, sBj, c, ldc, K, N. */
export const PRODUCT_ARGS = 10;
/** Byte addresses of `adam` before its range: p, g, m, v, pOut, mOut, vOut. */
export const ADAM_ADDRESSES = 7;
/** Numbers of `adam` after its range: β₁, 1 − β₁, β₂, 1 − β₂, scale, stepSize, c₂⁻¹, ε, decay. */
export const ADAM_NUMBERS = 9;

// The control words, in a SharedArrayBuffer of their own: a generation count that new work moves
// on, how many helpers finished it, how many are ready, the stop flag, the kind of work (0 a
// product, 1 Adam), its range, how many helpers failed at it, then its integer arguments; its
// numbers as doubles after the words.
const GENERATION = 0;
const DONE = 1;
const READY = 2;
const STOP = 3;
const KIND = 4;
const FIRST = 5;
const END = 6;
const FAILED = 7;
const ARGS = 8;
const WORDS = 32;
const NUMBERS = 16;
/** The products' rows go to the threads in pairs (the tiles' height), Adam's elements in fours (the lanes). */
const PRODUCT_UNIT = 2;
const ADAM_UNIT = 4;
/**
 * Polls before sleeping in Atomics.wait, of the caller waiting for the helpers (they finish their
 * bands at about the time it finishes its own) and of a helper waiting for work: a training step's
 * products follow each other within microseconds, and a helper woken from Atomics.wait started
 * late enough, in Chromium, that two threads ran a step 1.36 times as fast as one where polling
 * first gave 1.5 (bench/results.md). A helper sleeps after about 0.1 ms without work.
 */
const SPINS = 20_000;
/** How long work may wait for a helper before the helper is taken for dead. */
const HELPER_DEADLINE_MS = 30_000;

/**
 * The part of [first, end) that thread `index` of `threads` takes: whole units (a product's row
 * pairs, Adam's lanes), the last thread also taking what is left over. Contiguous and in order.
 */
export function threadBand(first: number, end: number, index: number, threads: number, unit: number): [number, number] {
  const units = Math.floor((end - first) / unit);
  const from = first + unit * Math.floor((index * units) / threads);
  const to = index === threads - 1 ? end : first + unit * Math.floor(((index + 1) * units) / threads);
  return [from, to];
}

// A helper thread, as the source of a classic script: the same in a page's Worker and in Node's
// worker_threads (eval), which is why it is text and not a bundled module (bundlers rename and
// split worker factories; a Vite 8 production build broke TensorFlow.js's own that way).
const HELPER_SOURCE = `'use strict';
const start = ({ module, memory, control, index, threads, scratch }) => {
  const { product, adam } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(control, 0, ${WORDS});
  const numbers = new Float64Array(control, ${WORDS * 4}, ${NUMBERS});
  const band = ${threadBand.toString()};
  let seen = 0;
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    for (let spins = 0; Atomics.load(ctl, ${GENERATION}) === seen; )
      if (++spins > ${SPINS}) { Atomics.wait(ctl, ${GENERATION}, seen); spins = 0; }
    seen = Atomics.load(ctl, ${GENERATION});
    if (Atomics.load(ctl, ${STOP})) return;
    const a = ctl.subarray(${ARGS});
    let failed = false;
    try {
      if (ctl[${KIND}] === 0) {
        const [from, to] = band(ctl[${FIRST}], ctl[${END}], index, threads, ${PRODUCT_UNIT});
        if (to > from) product(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], from, to, a[10], a[11], scratch);
      } else {
        const [from, to] = band(ctl[${FIRST}], ctl[${END}], index, threads, ${ADAM_UNIT});
        const n = numbers;
        if (to > from) adam(a[0], a[1], a[2], a[3], a[4], a[5], a[6], from, to, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8]);
      }
    } catch {
      // A trap (or an error of this script): counted, so that the caller fails instead of waiting.
      failed = true;
      Atomics.add(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
    if (failed) return;
  }
};
if (typeof require === 'function') require('node:worker_threads').parentPort.once('message', start);
else self.addEventListener('message', (event) => start(event.data), { once: true });
`;

/** What starts one helper: a worker running `source` (a classic script) to which `message` is posted. */
export type StartHelper = (source: string, message: unknown) => Promise<{ terminate(): unknown }>;

/** A page's Worker from a Blob of the source (nothing to bundle or serve). */
const startBrowserHelper: StartHelper = async (source, message) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.addEventListener('error', (event) => event.preventDefault());
  worker.postMessage(message);
  // The worker has fetched its script once it runs: the URL can go (revoking sooner races the fetch).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return worker;
};

/** A Node worker thread evaluating the source; unreferenced, so that it never keeps a process alive. */
const startNodeHelper: StartHelper = async (source, message) => {
  const { Worker } = await importNodeBuiltin<typeof import('node:worker_threads')>('worker_threads', 'the wasm kernels’ threads', 'starts threads');
  const worker = new Worker(source, { eval: true });
  worker.unref();
  // A helper that cannot even start (its script fails) must not take the process down with it: it
  // never counts itself ready, and the kernels run on the caller's thread.
  worker.on('error', () => undefined);
  worker.postMessage(message);
  return worker;
};

/** Whether this thread may block in Atomics.wait (a page's main thread may not: it would freeze the page). */
function canBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, STOP, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Threads that share the work of one kernel on a shared WebAssembly heap (TensorFlow.js's threaded
 * build): the caller's thread takes the first band and `helpers` workers, each with its own
 * instance of simd-kernels.wat on the same memory, take the others. The caller posts work by moving
 * a generation count on (Atomics.notify) and waits until every helper has counted itself done, so a
 * kernel returns complete, as a kernel must. Before the helpers have started (and after
 * {@link stop}) the caller does all of it.
 */
export class HeapThreads {
  private readonly control = new SharedArrayBuffer(WORDS * 4 + NUMBERS * 8);
  private readonly words = new Int32Array(this.control, 0, WORDS);
  private readonly numbers = new Float64Array(this.control, WORDS * 4, NUMBERS);
  private readonly workers: { terminate(): unknown }[] = [];
  private readonly blocking: boolean;
  private stopped = false;

  private constructor(
    private readonly kernels: SimdKernelExports,
    readonly helpers: number,
    /** Byte address of the caller's scratch for products; helper h's is `scratch + h · scratchBytes`. */
    private readonly scratch: number,
  ) {
    this.blocking = canBlock(this.words);
  }

  /**
   * Starts `helpers` workers on `module` (compiled for a shared memory) and `memory` (shared), each
   * with its own `scratch.bytes` of scratch after the caller's at `scratch.at`. They count
   * themselves ready once instantiated ({@link whenReady}).
   */
  static async start(
    kernels: SimdKernelExports,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    helpers: number,
    scratch: { at: number; bytes: number },
    startHelper: StartHelper = isNode() ? startNodeHelper : startBrowserHelper,
  ): Promise<HeapThreads> {
    const threads = new HeapThreads(kernels, helpers, scratch.at);
    for (let index = 1; index <= helpers; index++)
      threads.workers.push(
        await startHelper(HELPER_SOURCE, {
          module,
          memory,
          control: threads.control,
          index,
          threads: helpers + 1,
          scratch: scratch.at + index * scratch.bytes,
        }),
      );
    return threads;
  }

  /** Whether every helper has started (before that, the caller's thread does all the work). */
  get ready(): boolean {
    return !this.stopped && Atomics.load(this.words, READY) === this.helpers;
  }

  /** Waits up to `ms` for the helpers to start; returns {@link ready}. */
  async whenReady(ms = 10_000): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.ready && !this.stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.ready;
  }

  /** Rows [first, end) of the product given by `args` (`product`'s first ten arguments), its bias address and flags. */
  product(args: readonly number[], first: number, end: number, bias: number, flags: number): void {
    const own = (from: number, to: number) => this.kernels.product(...args, from, to, bias, flags, this.scratch);
    if (!this.ready) {
      own(first, end);
      return;
    }
    const w = this.words;
    for (let i = 0; i < PRODUCT_ARGS; i++) w[ARGS + i] = args[i];
    w[ARGS + PRODUCT_ARGS] = bias;
    w[ARGS + PRODUCT_ARGS + 1] = flags;
    this.share(0, first, end, PRODUCT_UNIT, own);
  }

  /** Adam over the elements [from, to) of one variable: `adam`'s seven addresses and nine numbers. */
  adam(addresses: readonly number[], numbers: readonly number[], first: number, end: number): void {
    const own = (from: number, to: number) => this.kernels.adam(...addresses, from, to, ...numbers);
    if (!this.ready) {
      own(first, end);
      return;
    }
    for (let i = 0; i < ADAM_ADDRESSES; i++) this.words[ARGS + i] = addresses[i];
    for (let i = 0; i < ADAM_NUMBERS; i++) this.numbers[i] = numbers[i];
    this.share(1, first, end, ADAM_UNIT, own);
  }

  /**
   * Posts the work written in the control words, does band 0 here, and waits for the helpers'
   * bands, also when band 0 throws (so that no helper is still writing when this returns). A
   * helper that failed, or that has not answered for {@link HELPER_DEADLINE_MS} (work takes
   * milliseconds: it has died), stops the threads and makes this throw: the work cannot be done
   * again here, since a product adds onto its output chunk by chunk and Adam writes in place.
   */
  private share(kind: number, first: number, end: number, unit: number, own: (from: number, to: number) => void): void {
    const w = this.words;
    w[KIND] = kind;
    w[FIRST] = first;
    w[END] = end;
    Atomics.store(w, DONE, 0);
    // The atomic add publishes the words written above to a helper that sees the new generation.
    Atomics.add(w, GENERATION, 1);
    Atomics.notify(w, GENERATION);
    const [from, to] = threadBand(first, end, 0, this.helpers + 1, unit);
    try {
      if (to > from) own(from, to);
    } finally {
      this.waitForHelpers();
    }
  }

  private waitForHelpers(): void {
    const w = this.words;
    let spins = 0;
    // Time spent waiting is counted in waits of 100 ms where this thread may block (a suspended
    // machine counts one), else by the clock.
    let waits = 0;
    let since = 0;
    for (let done = Atomics.load(w, DONE); done < this.helpers; done = Atomics.load(w, DONE)) {
      if (++spins < SPINS) continue;
      spins = 0;
      if (this.blocking) {
        if (Atomics.wait(w, DONE, done, 100) === 'timed-out') waits += 1;
      } else since ||= Date.now();
      if (waits * 100 > HELPER_DEADLINE_MS || (since && Date.now() - since > HELPER_DEADLINE_MS)) {
        this.stop();
        throw new Error(
          `@flows/kernels: a thread of the wasm kernels did not answer for ${HELPER_DEADLINE_MS / 1000} s; the kernels run on one thread from now on`,
        );
      }
    }
    if (Atomics.load(w, FAILED) > 0) {
      this.stop();
      throw new Error('@flows/kernels: a thread of the wasm kernels failed (a WebAssembly trap); the kernels run on one thread from now on');
    }
  }

  /** Stops and ends the helpers; later work runs on the caller's thread. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.words, STOP, 1);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}
