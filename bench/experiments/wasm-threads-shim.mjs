// Experiment (not used by the toolkit): run tfjs-backend-wasm's threaded SIMD build in Node.
// Findings 2026-11-23: with this shim the threaded module initialises and its 8 pthread workers load
// ('load' → 'loaded'), but init_with_threads_count(n) leaves XNNPACK at 1 thread and no pthread is ever
// started ('run' never sent), so matmul speed is unchanged. Usage: node threads.mjs <threads> (DEBUG_THREADS=1 logs worker traffic).
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import workerThreads from 'node:worker_threads';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
function prelude() {
  const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const lines = readFileSync(bundle, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('var extendStatics'));
  const end = lines.findIndex((l) => l.startsWith('var CppDType'));
  return ["var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');", 'var commonjsGlobal = globalThis;', ...lines.slice(start, end), ''].join('\n');
}
const dir = mkdtempSync(join(tmpdir(), 'flows-wasm-threads-'));
const texts = new WeakMap();
const paths = new WeakMap();
let counter = 0;
const RealBlob = globalThis.Blob;
globalThis.Blob = class RecordingBlob extends RealBlob {
  constructor(parts = [], options) {
    super(parts, options);
    if (parts.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
  }
};
const fileFor = (blob) => {
  if (!paths.has(blob)) {
    const path = join(dir, `script-${counter++}.cjs`);
    let text = texts.get(blob);
    // The factory's source lost its bundle's module aliases; define them in the worker's global scope.
    if (text.startsWith('var WasmBackendModuleThreadedSimd')) text = prelude() + text;
    writeFileSync(path, text);
    paths.set(blob, path);
  }
  return paths.get(blob);
};
const realCreate = URL.createObjectURL;
URL.createObjectURL = (blob) => (texts.has(blob) ? fileFor(blob) : realCreate(blob));
const realPost = workerThreads.Worker.prototype.postMessage;
workerThreads.Worker.prototype.postMessage = function (message, transfer) {
  if (message && typeof message === 'object' && texts.has(message.urlOrBlob)) message = { ...message, urlOrBlob: fileFor(message.urlOrBlob) };
  if (!this.__logged) { this.__logged = true; this.on('message', (m) => { if (m && m.cmd && process.env.DEBUG_THREADS) console.log('worker says', m.cmd); }); this.on('error', (e) => console.log('worker error', e)); }
  if (process.env.DEBUG_THREADS) console.log('to worker', message && message.cmd);
  return realPost.call(this, message, transfer);
};
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setThreadsCount(Number(process.argv[2] ?? 2));
const ok = await tf.setBackend('wasm');
console.log("backend", ok, tf.getBackend(), "threads", wasm.getThreadsCount(), tf.backend().wasm.tfjs.getThreadsCount());
const x = tf.randomNormal([256, 784]), w = tf.randomNormal([784, 256]);
for (let rep = 0; rep < 2; rep++) {
  const t0 = performance.now(); for (let i = 0; i < 20; i++) { const r = tf.matMul(x, w); r.dataSync(); r.dispose(); } console.log('matmul', ((performance.now() - t0) / 20).toFixed(2), 'ms');
}
const check = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync(); console.log('check', Array.from(check));
process.exit(0);
