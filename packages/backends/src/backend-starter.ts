/** Where code runs: Node, or a browser page or worker. */
export type BackendRuntime = 'node' | 'browser';

/** What the native kernels of `@flows/native-kernels` did on wasm: their threads and products, or why they are not in use. */
export type NativeKernelsFound = { threads: number; products?: 'avx512' | 'openblas' } | { unavailable: string };

/** The wasm backend's own SIMD kernels of `@flows/kernels` (`installWasmKernels`: matrix products, the Adam update): their threads, or why they are not in use. */
export type WasmKernelsFound = { threads: number } | { unavailable: string };

/**
 * The settings one starter receives, interpreted once from the options and the environment by
 * `resolveBackendSettings` (no starter reads an option, the environment or another starter's state).
 */
export interface StarterSettings {
  /**
   * The backend is being tried by the automatic choice: a software GPU (Mesa's lavapipe,
   * SwiftShader), slower than wasm, is refused rather than used. Named explicitly, it is used anyway.
   */
  auto: boolean;
  /** Threads of the wasm backend's own threaded build (1: the single-threaded SIMD build). */
  wasmThreads: number;
  /** In a browser: the URL prefix, ending in `/`, where the wasm backend's `.wasm` files are served. */
  wasmPaths?: string;
  /** Whether to install the native kernels on wasm: `true` requires them, `'auto'` uses them if they load. */
  nativeKernels: boolean | 'auto';
  /** Threads of the native kernels (undefined: the addon's default, every core). */
  nativeThreads?: number;
  /** Whether the wasm backend runs this project's own SIMD kernels (`@flows/kernels`' installWasmKernels) where the native ones do not compute the products. */
  wasmKernels: boolean;
}

/** What a starter found while starting its backend, for the choice and its line in the logs. */
export interface StartedBackend {
  /** The GPU (marked `(software)` for a CPU rasterizer), for `webgpu` and `webgl`. */
  adapter?: string;
  /** Threads of the wasm backend. */
  threads?: number;
  /** In a page: why the wasm backend's threaded build did not start, so that its single-threaded build runs. */
  threadsFailed?: string;
  /** The native kernels on wasm, when they were asked for. */
  nativeKernels?: NativeKernelsFound;
  /** The own SIMD kernels on wasm, when the native ones do not compute the products. */
  wasmKernels?: WasmKernelsFound;
}

/**
 * One row of the backend table: a backend, where it can run, how to start it and how to describe
 * what it found. Self-contained: `start` receives its settings and returns its findings, so the
 * table can be walked in order without the starters sharing any state.
 */
export interface BackendStarter<Name extends string = string> {
  readonly name: Name;
  /** Where the automatic choice tries it. Named explicitly elsewhere, its `start` says why it cannot run. */
  readonly runsIn: readonly BackendRuntime[];
  /** Starts the backend and makes it TensorFlow.js's active one, or throws an Error saying why not. */
  start(settings: StarterSettings): Promise<StartedBackend>;
  /**
   * Optional: what the backend adds once it is chosen and the fused kernels are registered for it,
   * added to what `start` found (the wasm row installs the native kernels here). Its errors are
   * errors of the call, not reasons to try the next backend, which `start`'s are in `auto`.
   */
  afterStart?(settings: StarterSettings): Promise<StartedBackend>;
  /** Its part of `describeBackend`'s line after the name (`' on llvmpipe (software)'`, `', 2 threads'`), or `''`. */
  describe(found: StartedBackend): string;
}
