/**
 * Multi-threaded `wasm` in Node (opt-in).
 *
 * TensorFlow.js ships a threaded SIMD build of its wasm backend but does not start it in Node:
 * 1. it turns threads off there (`WASM_HAS_MULTITHREAD_SUPPORT` is false);
 * 2. it creates its pthread workers from `blob:` URLs, which Node's worker_threads refuse, and
 *    sends the main script to them as a Blob whose factory source has lost its bundle's helpers;
 * 3. the build caps XNNPACK at `emscripten_num_logical_cores() / 2` threads, assuming two
 *    hardware threads per core, so a 2-core machine gets one thread.
 *
 * This shim, installed before the backend starts: records the text of Blobs as they are made,
 * writes the worker and main scripts to temporary files (the main script prefixed with the
 * bundle helpers it needs) and hands workers those paths; reports twice the core count to the
 * build while it initialises, so the cap becomes the core count; and sets the thread count, never
 * above the number of cores. Once the backend has started, {@link releaseWasmWorkers} unrefs the
 * workers so that they do not keep the process alive.
 */
import { importNodeBuiltin } from '@flows/core';

const shimWorkers = new Set<{ unref(): void }>();

/** Lets the process exit with the pthread workers still alive (call after the backend started). */
export function releaseWasmWorkers(): void {
  for (const worker of shimWorkers) worker.unref();
}

export async function installWasmThreadsShim(requestedThreads: number): Promise<number> {
  const why = 'starts wasm threads through worker_threads';
  const [os, fs, path, workerThreads, { createRequire }] = await Promise.all([
    importNodeBuiltin<typeof import('node:os')>('os', 'the wasm threads shim', why),
    importNodeBuiltin<typeof import('node:fs')>('fs', 'the wasm threads shim', why),
    importNodeBuiltin<typeof import('node:path')>('path', 'the wasm threads shim', why),
    importNodeBuiltin<typeof import('node:worker_threads')>('worker_threads', 'the wasm threads shim', why),
    importNodeBuiltin<typeof import('node:module')>('module', 'the wasm threads shim', why),
  ]);
  const cores = os.cpus().length;
  const threads = Math.max(1, Math.min(requestedThreads, cores));
  const require = createRequire(import.meta.url);
  const bundlePath = require.resolve('@tensorflow/tfjs-backend-wasm');
  const lines = fs.readFileSync(bundlePath, 'utf8').split('\n');
  const helpersStart = lines.findIndex((l) => l.startsWith('var extendStatics'));
  const helpersEnd = lines.findIndex((l) => l.startsWith('var CppDType'));
  const aliases = lines.filter((l) => /^var require\$\$\d+ = require\('[a-z_]+'\);$/.test(l));
  if (helpersStart < 0 || helpersEnd < helpersStart || aliases.length === 0) {
    throw new Error(`this version of @tensorflow/tfjs-backend-wasm (${bundlePath}) does not have the layout the threads shim knows`);
  }
  // Workers read the core count too (the cap can be computed on either side): double it there as well.
  const doubleCores = "(function () { var os = require('os'); var cpus = os.cpus; os.cpus = function () { var c = cpus(); return c.concat(c); }; })();";
  const prelude = [...aliases, doubleCores, 'var commonjsGlobal = globalThis;', ...lines.slice(helpersStart, helpersEnd), ''].join('\n');

  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-wasm-threads-'));
  const texts = new WeakMap<object, string>();
  const files = new WeakMap<object, string>();
  let counter = 0;
  const fileFor = (blob: object): string => {
    let file = files.get(blob);
    if (!file) {
      let text = texts.get(blob)!;
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) text = prelude + text;
      file = path.join(directory, `script-${counter++}.cjs`);
      fs.writeFileSync(file, text);
      files.set(blob, file);
    }
    return file;
  };
  const g = globalThis as unknown as { Blob: typeof Blob; __flowsWasmThreadsShim?: boolean };
  if (!g.__flowsWasmThreadsShim) {
    g.__flowsWasmThreadsShim = true;
    const RealBlob = g.Blob;
    g.Blob = class RecordingBlob extends RealBlob {
      constructor(parts: BlobPart[] = [], options?: BlobPropertyBag) {
        super(parts, options);
        if (parts.every((p) => typeof p === 'string')) texts.set(this, (parts as string[]).join(''));
      }
    };
    const realCreateObjectURL = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob) => (texts.has(object) ? fileFor(object) : realCreateObjectURL(object));
    const prototype = workerThreads.Worker.prototype as unknown as { postMessage(message: unknown, transfer?: unknown): void; unref(): void };
    const realPostMessage = prototype.postMessage;
    prototype.postMessage = function (this: { unref(): void }, message: unknown, transfer?: unknown) {
      const m = message as { urlOrBlob?: object } | null;
      if (m && typeof m === 'object' && m.urlOrBlob && texts.has(m.urlOrBlob)) {
        shimWorkers.add(this);
        message = { ...m, urlOrBlob: fileFor(m.urlOrBlob) };
      }
      return realPostMessage.call(this, message, transfer);
    };
  }
  return threads;
}

/** Reports twice the core count while `start` runs (the build halves it), then restores `os.cpus`. */
export async function withDoubledCoreCount<T>(start: () => Promise<T>): Promise<T> {
  const os = (await importNodeBuiltin<{ default: { cpus: () => unknown[] } }>('os', 'the wasm threads shim', 'starts wasm threads')).default;
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    return [...cpus, ...cpus];
  };
  try {
    return await start();
  } finally {
    os.cpus = realCpus;
  }
}
