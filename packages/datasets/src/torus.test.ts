import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TOY_NAMES, TorusVonMisesMixture, toyByName } from './index.js';

const toy = toyByName('torus') as TorusVonMisesMixture;

/** Midpoint-rule expectation of f under the toy's float64 density on the torus. */
function expectation(f: (x: number, y: number) => number, cells = 400): number {
  const h = (2 * Math.PI) / cells;
  let sum = 0;
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      const x = -Math.PI + (i + 0.5) * h;
      const y = -Math.PI + (j + 0.5) * h;
      sum += toy.density(x, y) * f(x, y);
    }
  }
  return sum * h * h;
}

describe('the torus toy (a mixture of products of von Mises)', () => {
  it('is registered as torus, with its window [−π, π]²', () => {
    expect(TOY_NAMES).toContain('torus');
    expect(toy).toBeInstanceOf(TorusVonMisesMixture);
    expect(toy.hasExactDensity).toBe(true);
    expect(toy.plotRange).toEqual([
      [-Math.PI, Math.PI],
      [-Math.PI, Math.PI],
    ]);
  });

  it('integrates to 1 over the torus (float64 to 1e-12; the tensor logProb to 1e-5), is 0 outside, and joins across the seams', () => {
    expect(Math.abs(expectation(() => 1) - 1)).toBeLessThan(1e-12);
    const cells = 300;
    const h = (2 * Math.PI) / cells;
    const grid = new Float32Array(2 * cells * cells);
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) grid.set([-Math.PI + (i + 0.5) * h, -Math.PI + (j + 0.5) * h], 2 * (i * cells + j));
    const mass = tf.tidy(() => tf.sum(tf.exp(toy.logProb(tf.tensor2d(grid, [cells * cells, 2])))).dataSync()[0]) * h * h;
    expect(Math.abs(mass - 1)).toBeLessThan(1e-5);
    const [outside, left, right, bottom, top] = tf.tidy(() =>
      Array.from(
        toy
          .logProb(
            tf.tensor2d([
              [3.3, 0],
              [-Math.PI + 1e-6, 0.7],
              [Math.PI - 1e-6, 0.7],
              [-2.9, -Math.PI + 1e-6],
              [-2.9, Math.PI - 1e-6],
            ]),
          )
          .dataSync(),
      ),
    );
    expect(outside).toBe(-Infinity);
    expect(Math.abs(left - right)).toBeLessThan(1e-4);
    expect(Math.abs(bottom - top)).toBeLessThan(1e-4);
  });

  it('samples in [−π, π)² whose circular moments match the density (5 standard errors), and whose −mean log p is the entropy', () => {
    const n = 60000;
    const x = toy.sample(n, { random: 7 });
    const values = x.dataSync();
    const logProb = toy.logProb(x);
    const logValues = logProb.dataSync();
    tf.dispose([x, logProb]);
    const statistics: [string, (a: number, b: number) => number][] = [
      ['cos θ₁', (a) => Math.cos(a)],
      ['sin θ₁', (a) => Math.sin(a)],
      ['cos θ₂', (_, b) => Math.cos(b)],
      ['sin θ₂', (_, b) => Math.sin(b)],
      ['cos(θ₁ − θ₂)', (a, b) => Math.cos(a - b)],
      ['sin θ₁ sin θ₂', (a, b) => Math.sin(a) * Math.sin(b)],
    ];
    for (let i = 0; i < 2 * n; i++) {
      expect(values[i]).toBeGreaterThanOrEqual(-Math.fround(Math.PI));
      expect(values[i]).toBeLessThan(Math.fround(Math.PI));
    }
    for (const [name, f] of statistics) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const v = f(values[2 * i], values[2 * i + 1]);
        sum += v;
        squares += v * v;
      }
      const mean = sum / n;
      const standardError = Math.sqrt((squares / n - mean * mean) / n);
      expect({ name, gap: Math.abs(mean - expectation(f)) < 5 * standardError }).toEqual({ name, gap: true });
    }
    let sum = 0;
    let squares = 0;
    for (const v of logValues) {
      sum -= v;
      squares += v * v;
    }
    const mean = sum / n;
    expect(Math.abs(mean - toy.entropy())).toBeLessThan(5 * Math.sqrt((squares / n - mean * mean) / n));
    // The quadrature entropy against a finer one.
    expect(Math.abs(toy.entropy() - -expectation((a, b) => Math.log(toy.density(a, b)), 800))).toBeLessThan(1e-8);
  });

  it('refuses weights that do not sum to 1 or a concentration that is not positive', () => {
    expect(() => new TorusVonMisesMixture([{ weight: 0.5, mean: [0, 0], concentration: [1, 1] }])).toThrow(/weights must sum to 1/);
    expect(() => new TorusVonMisesMixture([{ weight: 1, mean: [0, 0], concentration: [1, 0] }])).toThrow(/concentrations must be positive/);
  });
});
