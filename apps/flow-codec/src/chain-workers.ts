import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RansError } from '@flows/codec';
import type { ChainJob, ChainResult, ChainRunner } from './flow-chains.js';

/** What a chain worker posts: an image done, its chain's result, or the error it threw (by name, so that a RansError stays one). */
export type WorkerMessage = { kind: 'image' } | { kind: 'done'; result: ChainResult } | { kind: 'error'; name: string; message: string };

/** The worker's script beside this module in the build (dist/flow-chain-worker.js); absent when running from the sources. */
function workerScript(): URL | null {
  const url = new URL('./flow-chain-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

function rebuilt(name: string, message: string): Error {
  if (name === 'RansError') return new RansError(message);
  if (name === 'RangeError') return new RangeError(message);
  return new Error(message);
}

function runInWorker(script: URL, job: ChainJob, onImage: () => void): Promise<ChainResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script);
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      outcome();
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'image') onImage();
      else if (message.kind === 'done') finish(() => resolve(message.result));
      else finish(() => reject(rebuilt(message.name, message.message)));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`a chain worker stopped (exit code ${code}) before it finished`))));
    worker.postMessage(job);
  });
}

/**
 * A {@link ChainRunner} that codes up to `threads` chains at once in worker threads (default: the
 * cores), or null where it cannot (one thread asked for, or no built worker script beside this
 * module; a test names the built one): then chains run one after the other here. Each chain is the
 * same computation wherever it runs, so a file does not depend on the threads that wrote or read it.
 */
export function workerRunner(threads = availableParallelism(), script: URL | null = workerScript()): ChainRunner | null {
  if (!script || threads <= 1) return null;
  return async (jobs, onImage) => {
    const results: ChainResult[] = new Array(jobs.length);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const k = next++;
        results[k] = await runInWorker(script, jobs[k], onImage);
      }
    };
    await Promise.all(Array.from({ length: Math.min(threads, jobs.length) }, lane));
    return results;
  };
}
