import type { FieldViews } from './field-views.js';
import type { DataSpec, LayerViews, SessionStatus, SessionViews } from './session.js';
import type { PlaygroundBackend, PlaygroundSettings } from './settings.js';

/** Requests from the page to the training worker; each gets one {@link Reply} with the same id. */
export type Request =
  | { type: 'configure'; settings: PlaygroundSettings; data: DataSpec }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step'; steps: number }
  | { type: 'backend'; backend: PlaygroundBackend }
  | { type: 'views'; resolution: number }
  | { type: 'layers'; point: [number, number] }
  | { type: 'field' }
  | { type: 'export' }
  | { type: 'import'; files: Record<string, string | Uint8Array>; origin: string }
  | { type: 'logProb'; points: Float32Array }
  /** `wasmThreads` (the first start of wasm only): 1 for the single-threaded SIMD build that Node runs, else that many threads. */
  /**
   * `toy`: instead of the 784-D benchmark model, a playground run given as its query (`data=chequerboard&flow=spline&layers=6`),
   * trained at `batch` without pictures or KL: how fast each flow trains on a backend.
   */
  | { type: 'benchmark'; backend: PlaygroundBackend; batch: number; steps: number; rounds: number; wasmThreads?: number; toy?: string };

export type RequestOf<T extends Request['type']> = Extract<Request, { type: T }>;

/** What a request answers with. */
export interface Answers {
  configure: WorkerStatus;
  start: WorkerStatus;
  pause: WorkerStatus;
  step: WorkerStatus;
  backend: WorkerStatus;
  views: SessionViews;
  layers: LayerViews;
  field: FieldViews;
  export: Record<string, string | Uint8Array>;
  import: WorkerStatus;
  logProb: Float32Array;
  benchmark: BenchmarkResult;
}

/** The session's status with the worker's own: whether it trains, on which backend. */
export interface WorkerStatus extends SessionStatus {
  running: boolean;
  backend: string;
  /** `describeBackend`'s line: the backend, its adapter or threads, and what was skipped. */
  backendDescription: string;
  /** The last problem (a failed backend, a diverged run), or null. */
  error: string | null;
}

export interface BenchmarkResult {
  backend: string;
  backendDescription: string;
  batch: number;
  /** Median training samples per second over the timed rounds. */
  samplesPerSecond: number;
  rounds: number[];
}

export type Reply = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; error: string };

/** Pushed by the worker on its own: after every chunk of training, and when something goes wrong. */
export type Push = { type: 'status'; status: WorkerStatus };

export type WorkerMessage = Reply | Push;
