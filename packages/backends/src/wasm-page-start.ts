/**
 * Starting TensorFlow.js's wasm backend in a page (or a page's worker), where two things go wrong
 * without a word from TensorFlow.js:
 *
 * 1. Its threaded build never starts. Cross-origin isolated pages get the threaded SIMD build, whose
 *    thread workers run the factory function's source, sent to them as text
 *    (`factory.toString()`). A minifier that sees `typeof _scriptDir !== 'undefined'` inside that
 *    function, with `_scriptDir` declared just outside it, rewrites the test as `e !== void 0`:
 *    right in place, a ReferenceError in the worker, where that outer variable does not exist
 *    (Vite 8's Oxc minifier and terser, webpack's default, both do this; esbuild's minifier keeps
 *    the `typeof`). The workers throw, and `tf.setBackend('wasm')` waits for them forever. Here a
 *    failing thread worker, or workers that have not loaded the module within a few seconds, make
 *    the start give up the threaded build and start the single-threaded SIMD build instead, with a
 *    console warning that says why.
 * 2. Its pool runs one thread on a machine of two cores. The build gives XNNPACK at most
 *    `navigator.hardwareConcurrency / 2` threads (it takes every core for two hardware threads),
 *    whatever `setThreadsCount` asked: `getThreadsCount()` is 1 on 2 cores, in the page's main
 *    thread as in a worker. Here, when a count was asked for, the build is shown twice the core
 *    count while it starts, so the count asked (never more than the cores) is the count it runs.
 * 3. Its `.wasm` file is not where the page looks. The start fails, the automatic choice moves on
 *    to cpu (about 14 times slower) and only `describeBackend` said so. Here the request of the
 *    missing file is recorded, and a console warning (once per page) names its URL and the fix.
 */
import * as tf from '@tensorflow/tfjs-core';

/** How long the thread workers may take to load the compiled module before the single-threaded build is started instead. */
export const WASM_THREADS_START_TIMEOUT_MS = 5000;

/** Where the README says which settings keep each bundler's minifier off the thread workers' script. */
export const BUNDLER_SETTINGS_URL = 'https://github.com/flows-js/flows/tree/main/apps/playground#bundlers';

/** What a start in a page found: whether the backend started, and why it runs one thread or did not start. */
export interface PageWasmStart {
  started: boolean;
  /** Why the threaded build was given up for the single-threaded one. */
  threadsFailed?: string;
  /** The `.wasm` requests that failed (`URL (HTTP 404)`), when the backend did not start. */
  missingFiles?: string[];
}

/** The part of a Worker this file uses (the package is typed for Node and the DOM alike). */
interface WatchedWorker {
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  postMessage(message: unknown, ...rest: unknown[]): void;
  terminate(): void;
}
type WorkerConstructor = new (url: string | URL, options?: unknown) => WatchedWorker;

/**
 * Watches the blob-URL workers created while the backend starts (emscripten's thread workers):
 * `failed` resolves with a reason at the first error one of them throws, or when they have not
 * loaded the module `timeoutMs` after it was sent to them.
 */
function watchThreadWorkers(timeoutMs: number) {
  const g = globalThis as { Worker?: WorkerConstructor };
  const RealWorker = g.Worker;
  const workers: WatchedWorker[] = [];
  let fail: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    fail = resolve;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (RealWorker) {
    g.Worker = class extends RealWorker {
      constructor(url: string | URL, options?: unknown) {
        super(url, options);
        if (!String(url).startsWith('blob:')) return;
        workers.push(this);
        this.addEventListener('error', (event) => fail(`a thread worker threw '${event.message || 'an error without a message'}'`));
        const post = this.postMessage.bind(this);
        this.postMessage = (message: unknown, ...rest: unknown[]) => {
          // The module is compiled when it is sent: from here on, only the workers can keep the start waiting.
          if (timer === undefined && (message as { cmd?: unknown } | null)?.cmd === 'load')
            timer = setTimeout(() => fail(`the thread workers had not loaded the module ${timeoutMs / 1000} s after it was sent`), timeoutMs);
          post(message, ...rest);
        };
      }
    };
  }
  return {
    failed,
    /** Puts the page's Worker back and stops the clock. */
    stop() {
      if (RealWorker) g.Worker = RealWorker;
      if (timer !== undefined) clearTimeout(timer);
    },
    terminate() {
      for (const worker of workers) worker.terminate();
    },
  };
}

/** Records the `.wasm` requests that fail while the backend starts (emscripten fetches its binary). */
function watchWasmRequests() {
  const g = globalThis as { fetch?: typeof fetch };
  const realFetch = g.fetch;
  const failures: string[] = [];
  if (realFetch) {
    g.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const isWasm = /\.wasm(?:[?#]|$)/.test(url);
      try {
        const response = await realFetch(input, init);
        const failure = `${new URL(url, globalThis.location?.href).href} (HTTP ${response.status})`;
        // Emscripten asks twice (streaming, then for an ArrayBuffer): one line per file.
        if (isWasm && !response.ok && !failures.includes(failure)) failures.push(failure);
        return response;
      } catch (error) {
        const failure = `${url} (${(error as Error).message})`;
        if (isWasm && !failures.includes(failure)) failures.push(failure);
        throw error;
      }
    };
  }
  return {
    failures,
    stop() {
      if (realFetch) g.fetch = realFetch;
    },
  };
}

let warnedMissingFiles = false;

/** Warns once per page that the wasm files were not found: the fall back to a slower backend is otherwise silent. */
export function warnMissingWasmFiles(where: string): void {
  if (warnedMissingFiles) return;
  warnedMissingFiles = true;
  console.warn(
    `flows: the wasm backend cannot start: ${where}. Serve the three .wasm files of @tensorflow/tfjs-backend-wasm/dist/ ` +
      '(tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm) beside the page, ' +
      "or pass selectBackend({ wasmPaths: 'https://your.site/wasm/' }) with the URL where they are served. " +
      'Until then the automatic choice runs the next backend (cpu: about 14 times slower).',
  );
}

/**
 * Makes `navigator.hardwareConcurrency` report twice the cores (the threaded build halves it to cap
 * its thread count) until the returned function is called, which restores it. Only the start needs
 * it: the cap is computed once, when the backend initialises XNNPACK's pool.
 */
export function doubleHardwareConcurrency(): () => void {
  const navigator = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const cores = navigator?.hardwareConcurrency;
  if (!navigator || !cores) return () => {};
  const own = Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency');
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * cores });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    // Back to the browser's getter (on the prototype), or to what was there before.
    if (own) Object.defineProperty(navigator, 'hardwareConcurrency', own);
    else delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/**
 * Starts the wasm backend in a page: its threaded build where the page is cross-origin isolated,
 * the single-threaded one when the threads do not start (with a console warning), and, when a
 * `.wasm` file is missing, what was requested and failed.
 */
export async function startWasmInPage(timeoutMs = WASM_THREADS_START_TIMEOUT_MS, { threadsAsked = false } = {}): Promise<PageWasmStart> {
  const requests = watchWasmRequests();
  const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const entry = tf.engine().registryFactory.wasm;
  const workers = threaded ? watchThreadWorkers(timeoutMs) : undefined;
  // A count that was asked for (setThreadsCount) is lifted above the build's cap of half the cores;
  // the default (TensorFlow.js's half) is left as it was.
  const restoreCores = threaded && threadsAsked ? doubleHardwareConcurrency() : () => {};
  try {
    const outcome = await Promise.race([
      tf.setBackend('wasm').then((started) => ({ started })),
      ...(workers ? [workers.failed.then((reason) => ({ reason }))] : []),
    ]);
    restoreCores();
    workers?.stop();
    if ('started' in outcome) return outcome.started ? { started: true } : { started: false, missingFiles: [...requests.failures] };
    // Give the threaded start up: its workers go, the backend is registered afresh (the pending start
    // is made obsolete) and TensorFlow.js is told there are no threads, so it loads the SIMD build.
    workers?.terminate();
    tf.removeBackend('wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.registerBackend('wasm', entry.factory, entry.priority);
    const started = await tf.setBackend('wasm');
    console.warn(
      `flows: the wasm backend's threads did not start (${outcome.reason}); it runs its single-threaded SIMD build instead. ` +
        `A minifier that rewrites typeof checks breaks the thread workers' script: see ${BUNDLER_SETTINGS_URL} for the setting of your bundler.`,
    );
    return started ? { started, threadsFailed: outcome.reason } : { started, threadsFailed: outcome.reason, missingFiles: [...requests.failures] };
  } finally {
    restoreCores();
    workers?.stop();
    requests.stop();
  }
}
