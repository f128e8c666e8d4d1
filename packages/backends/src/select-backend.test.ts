import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from './select-backend.js';
import { nativeSkipReason } from '@flows/test-support';

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('auto picks wasm here (no tfjs-node, no GPU) and says why the others were skipped', async () => {
    const choice = await selectBackend({ env: { FLOWS_NATIVE_KERNELS: '0' } });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
    expect(choice.nativeKernels).toBeUndefined();
    // The matrix products and the Adam update are the project's own (one thread: none were asked for), and the line says so.
    expect(choice.wasmKernels).toEqual({ threads: 1 });
    expect(describeBackend(choice)).toMatch(/^backend: wasm, own SIMD kernels \(auto; skipped tensorflow/);
  });

  it('uses the native kernels by default in Node where they load, and says which kernels run', async () => {
    const choice = await selectBackend({ env: {} });
    expect(choice.name).toBe('wasm');
    // Either they run, or the line says why not: never silently the stock kernels.
    expect(choice.nativeKernels).toBeDefined();
    expect(describeBackend(choice)).toMatch(
      /^backend: wasm, (native kernels: (own AVX-512|OpenBLAS) matrix products \(\d+ threads\)|stock matrix products \(native kernels unavailable: .+\)) \(auto;/,
    );
    if (nativeSkipReason('the native default of selectBackend') === null) expect(choice.nativeKernels).toHaveProperty('threads');
    // The default concerns wasm alone: the cpu backend's line says nothing of it.
    const cpu = await selectBackend({ backend: 'cpu', env: {} });
    expect(cpu.nativeKernels).toBeUndefined();
    expect(describeBackend(cpu)).toBe('backend: cpu (option)');
  });

  it('the automatic choice prints nothing: the GPU probe runs in a quiet child process', async () => {
    // Dawn, looking for a GPU, writes warnings to stderr ("Couldn't load Vulkan", reduced limits);
    // the built package is run in a fresh process so its stderr can be read whole.
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `const { selectBackend } = await import(${JSON.stringify(built)}); const c = await selectBackend(); console.log(c.name);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, FLOWS_BACKEND: '' } });
    expect(run.stdout.trim()).toBe('wasm');
    expect(run.stderr).toBe('');
  });

  it('honours the option over the environment variable, and the variable over auto', async () => {
    expect((await selectBackend({ backend: 'cpu', env: { FLOWS_BACKEND: 'wasm' } })).name).toBe('cpu');
    const fromEnv = await selectBackend({ env: { FLOWS_BACKEND: 'cpu' } });
    expect(fromEnv).toMatchObject({ name: 'cpu', source: 'environment' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('fails clearly for unknown or unavailable backends', async () => {
    await expect(selectBackend({ backend: 'tpu' as never })).rejects.toThrow(/unknown backend 'tpu'/);
    await expect(selectBackend({ env: { FLOWS_BACKEND: 'gpu' } })).rejects.toThrow(/FLOWS_BACKEND: unknown backend 'gpu'/);
    await expect(selectBackend({ backend: 'tensorflow' })).rejects.toThrow(/tfjs-node-gpu not installed/);
  });

  it('the native kernels: required fails clearly off wasm, auto falls back with the reason, and on wasm it gives the same products', async () => {
    await expect(selectBackend({ backend: 'cpu', nativeKernels: true })).rejects.toThrow(
      /the native kernels were requested but are not available: the backend is cpu, not wasm/,
    );
    const fallback = await selectBackend({ backend: 'cpu', env: { FLOWS_NATIVE_KERNELS: '1' } });
    expect(fallback.nativeKernels).toEqual({ unavailable: 'the backend is cpu, not wasm' });
    expect(describeBackend(fallback)).toMatch(/stock matrix products \(native kernels unavailable/);
    if (nativeSkipReason('native products through selectBackend') !== null) return;
    const a = tf.randomNormal([40, 30], 0, 1, 'float32', 1);
    const b = tf.randomNormal([30, 20], 0, 1, 'float32', 2);
    const reference = tf.matMul(a, b).dataSync();
    const choice = await selectBackend({ backend: 'wasm', nativeKernels: true, wasmThreads: 2 });
    expect(choice.nativeKernels).toMatchObject({ threads: 2, products: expect.stringMatching(/^(avx512|openblas)$/) });
    expect(describeBackend(choice)).toMatch(/wasm, native kernels: (own AVX-512|OpenBLAS) matrix products \(2 threads\)/);
    const [a2, b2] = [tf.tensor(a.dataSync(), a.shape), tf.tensor(b.dataSync(), b.shape)];
    const product = tf.matMul(a2, b2).dataSync();
    product.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 4));
    await tf.setBackend('cpu');
  });
});
