import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

describe('Random', () => {
  it('is deterministic per seed and restores its state exactly', () => {
    const a = new Random(42);
    const b = new Random(42);
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(Array.from({ length: 5 }, () => b.nextUint32()));
    a.normal(); // leaves a spare normal in the state
    const state = JSON.parse(JSON.stringify(a.getState()));
    const expected = Array.from({ length: 7 }, () => a.normal());
    expect(Array.from({ length: 7 }, () => Random.fromState(state).normal())[0]).toBe(expected[0]);
    const restored = Random.fromState(state);
    expect(Array.from({ length: 7 }, () => restored.normal())).toEqual(expected);
    expect(new Random(1).uniform()).not.toBe(new Random(2).uniform());
  });

  it('draws uniforms and normals with the right moments', () => {
    const random = new Random(7);
    const n = 200_000;
    const u = random.fillUniform(new Float32Array(n));
    const z = random.fillNormal(new Float32Array(n));
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const variance = (a: Float32Array) => {
      const m = mean(a);
      return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
    };
    // Standard errors: uniform mean 0.00065, normal mean 0.0022, normal variance 0.0032.
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(mean(z))).toBeLessThan(0.012);
    expect(Math.abs(variance(z) - 1)).toBeLessThan(0.02);
    expect(u.reduce((m, v) => Math.min(m, v), 1)).toBeGreaterThanOrEqual(0);
    expect(u.reduce((m, v) => Math.max(m, v), 0)).toBeLessThan(1);
  });

  it('permutations are permutations, and int() is unbiased enough', () => {
    const random = new Random(3);
    const p = random.permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[random.int(3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('rejects bad seeds and states', () => {
    expect(() => new Random(NaN)).toThrow(/finite/);
    expect(() => Random.fromState({ words: [0, 0, 0, 0], spareNormal: null })).toThrow(/all-zero/);
    expect(() => Random.fromState({ words: [1, 2] } as never)).toThrow(/four 32-bit/);
  });
});
