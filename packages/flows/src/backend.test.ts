import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from './backend.js';

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('auto picks wasm here (no tfjs-node, no GPU) and says why the others were skipped', async () => {
    const choice = await selectBackend({ env: {} });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
    expect(describeBackend(choice)).toMatch(/^backend: wasm \(auto; skipped tensorflow/);
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
});
