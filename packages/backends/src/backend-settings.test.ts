import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveBackendSettings, WASM_THREADS_WORK_THRESHOLD } from './backend-settings.js';

/** Multiply-adds of one pass through dense layers of these widths, per sample. */
const dense = (widths: number[]) => widths.slice(1).reduce((sum, width, i) => sum + widths[i] * width, 0);
// The toy Real NVP: 8 couplings of two 2-64-64-2 networks, batch 1000; MNIST's: 6 of 784-256-256-784, batch 256.
const toy = 2 * 8 * dense([2, 64, 64, 2]) * 1000;
const mnist = 2 * 6 * dense([784, 256, 256, 784]) * 256;

describe('resolveBackendSettings: the options and the environment, read once', () => {
  it('names the backend by the option, else FLOWS_BACKEND, else auto, and refuses unknown names', async () => {
    expect(await resolveBackendSettings({ backend: 'cpu', env: { FLOWS_BACKEND: 'wasm' } })).toMatchObject({ requested: 'cpu', source: 'option' });
    expect(await resolveBackendSettings({ env: { FLOWS_BACKEND: ' WASM ' } })).toMatchObject({ requested: 'wasm', source: 'environment' });
    expect(await resolveBackendSettings({ backend: 'auto', env: { FLOWS_BACKEND: 'auto' } })).toMatchObject({ requested: 'auto', source: 'auto' });
    expect(await resolveBackendSettings({ env: {} })).toMatchObject({ requested: 'auto', source: 'auto' });
    await expect(resolveBackendSettings({ backend: 'tpu' as never, env: {} })).rejects.toThrow(
      "backend option: unknown backend 'tpu'; expected auto, tensorflow, webgpu, webgl, wasm, cpu",
    );
    await expect(resolveBackendSettings({ threads: 2 } as never)).rejects.toThrow(/selectBackend: unknown option 'threads'/);
  });

  it('the native kernels: the option, else FLOWS_NATIVE_KERNELS (0 refuses, 1 is auto), else auto in Node unless wasm threads are asked for', async () => {
    expect((await resolveBackendSettings({ env: {} })).starter).toEqual({ wasmThreads: 1, nativeKernels: 'auto', wasmKernels: true });
    expect(await resolveBackendSettings({ env: { FLOWS_NATIVE_KERNELS: '0' } })).toMatchObject({ starter: { nativeKernels: false }, nativeKernelsAsked: true });
    expect(await resolveBackendSettings({ env: { FLOWS_NATIVE_KERNELS: '1' } })).toMatchObject({
      starter: { nativeKernels: 'auto' },
      nativeKernelsAsked: true,
    });
    expect(await resolveBackendSettings({ nativeKernels: true, env: { FLOWS_NATIVE_KERNELS: '0' } })).toMatchObject({ starter: { nativeKernels: true } });
    expect((await resolveBackendSettings({ env: {} })).nativeKernelsAsked).toBe(false);
    // Threads asked for are wasm's own: the native kernels are then off by default...
    expect((await resolveBackendSettings({ wasmThreads: 2, env: {} })).starter).toEqual({
      wasmThreads: 2,
      nativeKernels: false,
      nativeThreads: 2,
      wasmKernels: true,
    });
    expect((await resolveBackendSettings({ env: { FLOWS_WASM_THREADS: '2' } })).starter).toEqual({ wasmThreads: 2, nativeKernels: false, wasmKernels: true });
    // ...unless they are named, and then they take the threads while wasm runs one beside them.
    expect((await resolveBackendSettings({ wasmThreads: 2, nativeKernels: 'auto', env: {} })).starter).toEqual({
      wasmThreads: 1,
      nativeKernels: 'auto',
      nativeThreads: 2,
      wasmKernels: true,
    });
  });

  it('the own wasm kernels: on unless the option or FLOWS_WASM_KERNELS=0 turns them off', async () => {
    expect((await resolveBackendSettings({ env: {} })).starter.wasmKernels).toBe(true);
    expect((await resolveBackendSettings({ env: { FLOWS_WASM_KERNELS: '0' } })).starter.wasmKernels).toBe(false);
    expect((await resolveBackendSettings({ env: { FLOWS_WASM_KERNELS: '1' } })).starter.wasmKernels).toBe(true);
    expect((await resolveBackendSettings({ wasmKernels: false, env: {} })).starter.wasmKernels).toBe(false);
    expect((await resolveBackendSettings({ wasmKernels: true, env: { FLOWS_WASM_KERNELS: '0' } })).starter.wasmKernels).toBe(true);
  });

  it('with the work per step: one thread for small steps (the toys), every core for large ones (MNIST), unless asked', async () => {
    expect(toy).toBeLessThan(WASM_THREADS_WORK_THRESHOLD);
    expect(mnist).toBeGreaterThan(WASM_THREADS_WORK_THRESHOLD);
    const threads = async (options: Parameters<typeof resolveBackendSettings>[0]) => {
      const { starter } = await resolveBackendSettings({ nativeKernels: false, ...options });
      return starter.wasmThreads;
    };
    expect(await threads({ workPerStep: toy, env: {} })).toBe(1);
    expect(await threads({ workPerStep: mnist, env: {} })).toBe(cpus().length);
    expect(await threads({ workPerStep: Number.POSITIVE_INFINITY, env: {} })).toBe(cpus().length);
    expect(await threads({ workPerStep: toy, wasmThreads: 3, env: {} })).toBe(3);
    expect(await threads({ workPerStep: toy, env: { FLOWS_WASM_THREADS: '2' } })).toBe(2);
    await expect(threads({ workPerStep: toy, wasmThreads: 0, env: {} })).rejects.toThrow('wasm threads must be a positive integer, got 0');
  });

  it('with the work per step, threads do not turn the native kernels off: they take them (FLOWS_WASM_THREADS stays wasm’s)', async () => {
    expect((await resolveBackendSettings({ workPerStep: mnist, env: {} })).starter).toEqual({
      wasmThreads: 1,
      nativeKernels: 'auto',
      nativeThreads: cpus().length,
      wasmKernels: true,
    });
    expect((await resolveBackendSettings({ workPerStep: toy, wasmThreads: 2, env: {} })).starter).toEqual({
      wasmThreads: 1,
      nativeKernels: 'auto',
      nativeThreads: 2,
      wasmKernels: true,
    });
    expect((await resolveBackendSettings({ workPerStep: toy, env: { FLOWS_WASM_THREADS: '2' } })).starter).toEqual({
      wasmThreads: 1,
      nativeKernels: 'auto',
      wasmKernels: true,
    });
    // Refused, the threads go to wasm's threaded build.
    expect((await resolveBackendSettings({ workPerStep: mnist, env: { FLOWS_NATIVE_KERNELS: '0' } })).starter).toEqual({
      wasmThreads: cpus().length,
      nativeKernels: false,
      nativeThreads: cpus().length,
      wasmKernels: true,
    });
  });

  it("a page's wasm files: the prefix ends in a slash", async () => {
    expect((await resolveBackendSettings({ wasmPaths: '/assets/wasm', env: {} })).starter.wasmPaths).toBe('/assets/wasm/');
    expect((await resolveBackendSettings({ wasmPaths: '/assets/', env: {} })).starter.wasmPaths).toBe('/assets/');
  });
});
