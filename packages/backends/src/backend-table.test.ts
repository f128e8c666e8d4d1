import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, BACKEND_ORDER, BACKENDS, backendChoices } from './backend-table.js';
import { describeBackend, selectBackend } from './select-backend.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('the backend table', () => {
  it('keeps the backends in the order auto tries them, each saying where it runs', () => {
    expect(BACKENDS.map((row) => row.name)).toEqual(['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu']);
    expect(Object.fromEntries(BACKENDS.map((row) => [row.name, row.runsIn]))).toEqual({
      tensorflow: ['node'],
      webgpu: ['node', 'browser'],
      webgl: ['browser'],
      wasm: ['node', 'browser'],
      cpu: ['node', 'browser'],
    });
  });

  it('derives the order and the choices from the table: webgl included, auto first', () => {
    expect(BACKEND_ORDER).toEqual(BACKENDS.map((row) => row.name));
    expect(BACKEND_CHOICES).toEqual(['auto', ...BACKEND_ORDER]);
    expect(BACKEND_CHOICES).toContain('webgl');
    expect(backendChoices('node')).toEqual(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(backendChoices('browser')).toEqual(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it("each row describes what it found: the GPU's name, wasm's threads; the native kernels for any backend", () => {
    const line = (choice: Parameters<typeof describeBackend>[0]) => describeBackend(choice);
    expect(line({ name: 'webgpu', source: 'option', skipped: [], adapter: 'llvmpipe: Mesa 25.0.7 (software)' })).toBe(
      'backend: webgpu on llvmpipe: Mesa 25.0.7 (software) (option)',
    );
    expect(line({ name: 'webgl', source: 'auto', skipped: [{ name: 'webgpu', reason: 'no WebGPU adapter found' }], adapter: 'ANGLE' })).toBe(
      'backend: webgl on ANGLE (auto; skipped webgpu: no WebGPU adapter found)',
    );
    expect(line({ name: 'wasm', source: 'auto', skipped: [], threads: 2 })).toBe('backend: wasm, 2 threads (worker shim installed for Node) (auto)');
    expect(line({ name: 'wasm', source: 'auto', skipped: [], threads: 2, wasmKernels: { threads: 2 } })).toBe(
      "backend: wasm, 2 threads (worker shim installed for Node), own SIMD kernels on 2 threads, XNNPACK's on one (auto)",
    );
    expect(line({ name: 'wasm', source: 'option', skipped: [], threads: 1, wasmKernels: { threads: 1 } })).toBe('backend: wasm, own SIMD kernels (option)');
    expect(line({ name: 'wasm', source: 'option', skipped: [], threads: 1, wasmKernels: { unavailable: 'this engine has no WebAssembly SIMD' } })).toBe(
      'backend: wasm, stock kernels (own SIMD kernels unavailable: this engine has no WebAssembly SIMD) (option)',
    );
    expect(line({ name: 'wasm', source: 'auto', skipped: [], threads: 1, nativeKernels: { threads: 2, products: 'avx512' } })).toBe(
      'backend: wasm, native kernels: own AVX-512 matrix products (2 threads) (auto)',
    );
    expect(line({ name: 'wasm', source: 'option', skipped: [], threads: 1, nativeKernels: { threads: 1 } })).toBe(
      'backend: wasm, native kernels: OpenBLAS matrix products (1 thread) (option)',
    );
    expect(line({ name: 'cpu', source: 'environment', skipped: [], nativeKernels: { unavailable: 'the backend is cpu, not wasm' } })).toBe(
      'backend: cpu, stock matrix products (native kernels unavailable: the backend is cpu, not wasm) (environment)',
    );
    expect(line({ name: 'tensorflow', source: 'auto', skipped: [] })).toBe('backend: tensorflow (auto)');
  });

  it('auto tries only the rows that run here; a row named where it cannot run says why', async () => {
    const choice = await selectBackend({ backend: 'auto', env: { FLOWS_NATIVE_KERNELS: '0' } });
    // In Node webgl is not tried (a browser's), so it is not among the skipped either.
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
    expect(choice.name).toBe('wasm');
    await expect(selectBackend({ backend: 'webgl' })).rejects.toThrow("backend 'webgl' (from option) is not available: WebGL needs a browser");
  });

  it('a row started by name returns its own findings, whatever an earlier start found', async () => {
    const wasm = await selectBackend({ backend: 'wasm', nativeKernels: false });
    expect(wasm).toMatchObject({ name: 'wasm', threads: 1 });
    const cpu = await selectBackend({ backend: 'cpu' });
    expect(cpu).toEqual({ name: 'cpu', source: 'option', skipped: [] });
  });

  it('registers the fused kernels for the backend it starts: the sharing Identity on wasm', async () => {
    await selectBackend({ backend: 'wasm', nativeKernels: false });
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId);
    tf.dispose([a, b]);
  });
});
