import { describe, expect, it } from 'vitest';
import { clenshawCurtis } from './clenshaw-curtis.js';

describe('clenshawCurtis', () => {
  it('integrates polynomials up to degree n exactly, and exp spectrally', () => {
    for (const n of [2, 4, 8, 16]) {
      const { nodes, weights } = clenshawCurtis(n);
      expect(nodes[0]).toBe(1);
      expect(nodes[n]).toBe(-1);
      weights.forEach((w) => expect(w).toBeGreaterThan(0));
      for (let degree = 0; degree <= n; degree++) {
        const exact = degree % 2 === 1 ? 0 : 2 / (degree + 1);
        const sum = nodes.reduce((s, x, k) => s + weights[k] * x ** degree, 0);
        expect(Math.abs(sum - exact)).toBeLessThan(1e-13);
      }
    }
    const { nodes, weights } = clenshawCurtis(16);
    const sum = nodes.reduce((s, x, k) => s + weights[k] * Math.exp(3 * x), 0);
    expect(Math.abs(sum - (Math.exp(3) - Math.exp(-3)) / 3)).toBeLessThan(1e-12);
  });

  it('refuses an odd or too small number of panels', () => {
    expect(() => clenshawCurtis(3)).toThrow(/even integer of at least 2/);
    expect(() => clenshawCurtis(0)).toThrow(/even integer/);
  });
});
