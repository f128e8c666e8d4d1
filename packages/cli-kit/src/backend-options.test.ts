import { BACKEND_CHOICES, type BackendName } from '@flows/backends';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineOptions, describeOptions, parseOptions, UsageError } from './args.js';
import { BACKEND_OPTIONS, startBackend } from './backend-options.js';

describe('BACKEND_OPTIONS: the apps’ backend options, declared once', () => {
  const command = defineOptions({ out: { kind: 'string', description: 'out' }, ...BACKEND_OPTIONS });

  it("offers the backends of @flows/backends' table, webgl included, auto by default", () => {
    expect(BACKEND_OPTIONS.backend.choices).toEqual(BACKEND_CHOICES);
    expect(BACKEND_OPTIONS.backend.choices).toEqual(['auto', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu']);
    expect(Object.keys(BACKEND_OPTIONS)).toEqual(['backend', 'threads', 'native', 'no-native']);
    const parsed = parseOptions(['--backend', 'webgl', '--threads', '2', '--no-native'], command);
    // The assignment is the type test: the parsed backend is one of the table's names or 'auto'.
    const backend: BackendName | 'auto' = parsed.backend;
    expect({ backend, threads: parsed.threads, native: parsed['native'], refused: parsed['no-native'] }).toEqual({
      backend: 'webgl',
      threads: 2,
      native: undefined,
      refused: true,
    });
    expect(parseOptions([], command).backend).toBe('auto');
    expect(() => parseOptions(['--backend', 'tpu'], command)).toThrow("--backend must be one of auto, tensorflow, webgpu, webgl, wasm, cpu; got 'tpu'");
    expect(describeOptions(command)).toMatch(
      /--backend <auto\|tensorflow\|webgpu\|webgl\|wasm\|cpu>\s+TensorFlow\.js backend; auto takes the first that starts/,
    );
    expect(describeOptions(command)).toMatch(/--no-native\s+refuse the native kernels/);
  });
});

describe('startBackend', () => {
  let stderr = '';
  beforeEach(() => {
    stderr = '';
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
      stderr += `${parts.join(' ')}\n`;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("starts the named backend, prints describeBackend's line to stderr and returns the choice", async () => {
    const choice = await startBackend({ backend: 'cpu' }, 0, { env: {} });
    expect(choice).toEqual({ name: 'cpu', source: 'option', skipped: [] });
    // A backend other than wasm says nothing of the native kernels the apps use by default.
    expect(stderr).toBe('backend: cpu (option)\n');
  });

  it('quiet: starts the backend without the line, for a command whose stderr must stay empty', async () => {
    const choice = await startBackend({ backend: 'cpu' }, 0, { env: {}, quiet: true });
    expect(choice.name).toBe('cpu');
    expect(stderr).toBe('');
  });

  it('refuses --native with --no-native, naming both flags, before starting anything', async () => {
    await expect(startBackend({ backend: 'cpu', native: true, 'no-native': true }, 0)).rejects.toThrow(UsageError);
    await expect(startBackend({ backend: 'cpu', native: true, 'no-native': true }, 0)).rejects.toThrow(
      '--native requires the native kernels and --no-native refuses them: choose one',
    );
    expect(stderr).toBe('');
    await expect(startBackend({ backend: 'cpu', native: true }, 0, { env: {} })).rejects.toThrow(
      'the native kernels were requested but are not available: the backend is cpu, not wasm',
    );
  });

  it('--threads do not turn the native kernels off: they take them and wasm runs one thread beside them', async () => {
    const choice = await startBackend({ backend: 'wasm', threads: 2 }, 0, { env: {} });
    expect(choice.threads).toBe(1);
    // They run, or the line says why not: never the threaded wasm build instead.
    expect(choice.nativeKernels).toBeDefined();
    if (choice.nativeKernels && 'threads' in choice.nativeKernels) expect(choice.nativeKernels.threads).toBe(2);
  });

  it('honours FLOWS_NATIVE_KERNELS=0, as --no-native’s help says', async () => {
    const refused = await startBackend({ backend: 'wasm' }, 0, { env: { FLOWS_NATIVE_KERNELS: '0' } });
    expect(refused.nativeKernels).toBeUndefined();
    expect(stderr).toBe('backend: wasm, own SIMD kernels (option)\n');
    const byDefault = await startBackend({ backend: 'wasm' }, 0, { env: {} });
    expect(byDefault.nativeKernels).toBeDefined();
    const byFlag = await startBackend({ backend: 'wasm', 'no-native': true }, 0, { env: {} });
    expect(byFlag.nativeKernels).toBeUndefined();
  });
});
