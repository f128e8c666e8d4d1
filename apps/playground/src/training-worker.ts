/// <reference lib="webworker" />
// The training worker: the model lives and trains here, so the page's thread only draws.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '@tensorflow/tfjs-backend-cpu';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { registerContinuousFlows } from '@flows/continuous';
import { registerTorchImport } from '@flows/import-torch';
import { type BackendChoice, describeBackend, selectBackend } from '@flows/flows';
import { timeTraining } from './benchmark.js';
import { timeToyTraining } from './toy-benchmark.js';
import type { Answers, BenchmarkResult, Request, RequestOf, WorkerMessage, WorkerStatus } from './messages.js';
import { PlaygroundSession } from './session.js';
import type { PlaygroundBackend } from './settings.js';

declare const self: DedicatedWorkerGlobalScope;

registerSplineBijectors();
// Continuous flows (`?flow=cnf`, or imported from toy-flow --flow cnf) load by their class names.
registerContinuousFlows();
// Imported models (flows-import) may use the importer's own classes.
registerTorchImport();
// Vite gives each .wasm file a hashed URL; the wasm backend is told where each one is.
setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
/**
 * Threads of the wasm backend: every core when the page is cross-origin isolated (its threaded
 * SIMD build; `pnpm playground` sends the headers), else its single-threaded SIMD build. Asked for
 * explicitly: TensorFlow.js's default is half the cores (one on two), which selectBackend lifts
 * only for a count it was given.
 */
const WASM_THREADS = Math.max(1, navigator.hardwareConcurrency || 1);

let session: PlaygroundSession | null = null;
let running = false;
let backend: BackendChoice | null = null;
let lastError: string | null = null;
/** Steps per chunk between looks at the message queue, adapted to about 150 ms of work. */
let chunk = 4;
const CHUNK_SECONDS = 0.15;
/** KL is evaluated every `session.klEvery` steps (more for a continuous flow, whose densities are ODE solves), and when the run ends. */
let lastKlStep = -1;
/** The training loop while it runs: a change of model or backend waits for its chunk to end. */
let loop: Promise<void> | null = null;

async function stopTraining(): Promise<void> {
  running = false;
  await loop;
}

function startTraining(): void {
  if (running || !session || session.done) return;
  running = true;
  loop = trainingLoop().finally(() => {
    loop = null;
  });
}

/**
 * Loads the GPU backends' code only when they may be used (each is a large module). `wasmThreads`
 * counts at wasm's first start only: 1 starts the single-threaded SIMD build (the one Node runs).
 */
async function startBackend(name: PlaygroundBackend, wasmThreads = WASM_THREADS): Promise<BackendChoice> {
  if (name === 'webgpu' || name === 'auto') {
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
    } catch {
      // selectBackend says why WebGPU is missing.
    }
  }
  if (name === 'webgl' || name === 'auto') await import('@tensorflow/tfjs-backend-webgl');
  if (wasmThreads === 1 && !('wasm' in tf.engine().registry)) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return selectBackend({ backend: name, wasmThreads });
}

function status(): WorkerStatus {
  const base = session?.status() ?? {
    step: 0,
    totalSteps: 0,
    loss: Number.NaN,
    modelKind: 'layered' as const,
    kl: null,
    klStandardError: null,
    samplesPerSecond: 0,
    done: false,
    dataset: '',
    hasExactDensity: false,
    origin: '',
    range: [
      [0, 1],
      [0, 1],
    ] as [[number, number], [number, number]],
  };
  return { ...base, running, backend: backend?.name ?? 'none', backendDescription: backend ? describeBackend(backend) : 'not started', error: lastError };
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function maybeEvaluateKl(force: boolean): Promise<void> {
  if (!session) return;
  const step = session.step;
  if (step === lastKlStep) return;
  if (force || step - Math.max(0, lastKlStep) >= session.klEvery) {
    await session.evaluateKl();
    lastKlStep = step;
  }
}

/** Trains chunk after chunk while running, giving the message queue a turn between chunks. */
async function trainingLoop(): Promise<void> {
  while (running && session && !session.done) {
    const started = performance.now();
    try {
      const ran = await session.train(chunk);
      const seconds = (performance.now() - started) / 1000;
      chunk = Math.max(1, Math.min(500, Math.round((ran || chunk) * (CHUNK_SECONDS / Math.max(seconds, 1e-3)))));
      await maybeEvaluateKl(session.done);
    } catch (error) {
      running = false;
      lastError = `training stopped at step ${session.step}: ${(error as Error).message}`;
    }
    if (session?.done) running = false;
    post({ type: 'status', status: status() });
    await nextTask();
  }
}

async function benchmark(request: RequestOf<'benchmark'>): Promise<BenchmarkResult> {
  const choice = await startBackend(request.backend, request.wasmThreads);
  backend = choice;
  const result = request.toy
    ? await timeToyTraining(request.toy, request.batch, request.steps, request.rounds)
    : await timeTraining(request.batch, request.steps, request.rounds);
  return { ...result, backend: choice.name, backendDescription: describeBackend(choice) };
}

async function handle(request: Request): Promise<Answers[Request['type']]> {
  switch (request.type) {
    case 'configure': {
      let backendProblem: string | null = null;
      if (!backend) {
        try {
          backend = await startBackend(request.settings.backend);
        } catch (error) {
          // The page still works: on the automatic choice, with the reason shown.
          backendProblem = `${(error as Error).message}; using the automatic choice instead`;
          backend = await startBackend('auto');
        }
      }
      // Built before the old session goes, so settings that fail leave the current run as it was.
      const next = new PlaygroundSession(request.settings, request.data);
      await stopTraining();
      session?.dispose();
      session = next;
      lastError = backendProblem;
      lastKlStep = -1;
      chunk = 4;
      await maybeEvaluateKl(true);
      return status();
    }
    case 'start':
      if (!session) throw new Error('no run configured yet');
      if (!running && !session.done) lastError = null;
      startTraining();
      return status();
    case 'pause':
      await stopTraining();
      return status();
    case 'step':
      if (!session) throw new Error('no run configured yet');
      if (running) return status();
      await session.train(request.steps);
      await maybeEvaluateKl(true);
      return status();
    case 'backend': {
      const wasRunning = running;
      await stopTraining();
      const previous = backend;
      try {
        backend = await startBackend(request.backend);
      } catch (error) {
        // Back to the backend that worked: the run and its weights are kept.
        if (previous) backend = await selectBackend({ backend: previous.name, wasmThreads: WASM_THREADS });
        lastError = (error as Error).message;
        if (wasRunning) startTraining();
        throw error;
      }
      lastError = null;
      chunk = 4;
      if (wasRunning) startTraining();
      return status();
    }
    case 'views':
      if (!session) throw new Error('no run configured yet');
      return session.views(request.resolution);
    case 'layers':
      if (!session) throw new Error('no run configured yet');
      return session.layerViews(request.point);
    case 'field':
      if (!session) throw new Error('no run configured yet');
      return session.fieldViews();
    case 'export':
      if (!session) throw new Error('no run configured yet');
      return session.exportFiles();
    case 'import':
      if (!session) throw new Error('no run configured yet');
      await stopTraining();
      session.importFiles(request.files, request.origin);
      lastKlStep = -1;
      await maybeEvaluateKl(true);
      return status();
    case 'logProb':
      if (!session) throw new Error('no run configured yet');
      return session.logProb(request.points);
    case 'benchmark':
      await stopTraining();
      return benchmark(request);
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data;
  try {
    const value = await handle(request);
    post({ type: 'reply', id, ok: true, value });
  } catch (error) {
    post({ type: 'reply', id, ok: false, error: (error as Error).message ?? String(error) });
  }
};
