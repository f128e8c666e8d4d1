import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { hungarian, minibatchCoupling, sinkhornPlan, squaredDistances } from './ot-coupling.js';

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

function totalCost(cost: Float64Array, n: number, assignment: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i * n + assignment[i]];
  return total;
}

describe('hungarian', () => {
  it('finds the least-cost assignment: equal to brute force over all 720 permutations of 6', () => {
    const all = permutations(6);
    for (let seed = 0; seed < 20; seed++) {
      const random = new Random(seed);
      const cost = Float64Array.from({ length: 36 }, () => (seed % 2 ? random.uniform() : Math.round(random.uniform() * 4)));
      const assignment = hungarian(cost, 6);
      expect([...assignment].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      const best = Math.min(...all.map((p) => totalCost(cost, 6, p)));
      expect(totalCost(cost, 6, assignment)).toBeCloseTo(best, 10);
    }
  });

  it('matches sorted to sorted in one dimension (optimal transport on a line is monotone)', () => {
    const random = new Random(3);
    const noise = Array.from({ length: 40 }, () => random.normal());
    const data = Array.from({ length: 40 }, () => random.uniform() * 3);
    const order = minibatchCoupling(tf.tensor2d(noise, [40, 1]), tf.tensor2d(data, [40, 1]), { method: 'exact' });
    const byData = [...data.keys()].sort((a, b) => data[a] - data[b]);
    const pairedNoise = byData.map((j) => noise[order[j]]);
    for (let k = 1; k < pairedNoise.length; k++) expect(pairedNoise[k]).toBeGreaterThanOrEqual(pairedNoise[k - 1]);
  });
});

describe('sinkhornPlan and the sampled coupling', () => {
  it('has uniform marginals, and its sampled pairs cost little more than the exact assignment', () => {
    const random = new Random(5);
    const n = 64;
    const noise = tf.tensor2d(random.fillNormal(new Float32Array(2 * n)), [n, 2]);
    const data = tf.tensor2d(random.fillUniform(new Float32Array(2 * n)), [n, 2]);
    const { cost } = squaredDistances(noise, data);
    const mean = cost.reduce((a, b) => a + b, 0) / cost.length;
    const plan = sinkhornPlan(cost, n, 0.02 * mean, 300);
    for (let i = 0; i < n; i++) {
      let row = 0;
      let column = 0;
      for (let j = 0; j < n; j++) {
        row += plan[i * n + j];
        column += plan[j * n + i];
      }
      expect(row).toBeCloseTo(1 / n, 3);
      expect(column).toBeCloseTo(1 / n, 3);
    }
    // Costs of the pairing noise[order[j]] ↔ data[j], against the exact and the independent (identity) pairings.
    const pairingCost = (order: ArrayLike<number>) => Array.from(order).reduce((sum: number, i, j) => sum + cost[i * n + j], 0);
    const inverse = new Int32Array(n);
    hungarian(cost, n).forEach((j, i) => {
      inverse[j] = i;
    });
    const exact = pairingCost(inverse);
    const sampled = pairingCost(minibatchCoupling(noise, data, { method: 'sinkhorn', epsilon: 0.02, iterations: 300, random: 1 }));
    const independent = pairingCost(Array.from({ length: n }, (_, i) => i));
    expect(sampled).toBeLessThan(exact * 1.3);
    expect(sampled).toBeLessThan(independent * 0.6);
    tf.dispose([noise, data]);
  });
});
