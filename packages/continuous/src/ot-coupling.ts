import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';

/** How a minibatch of noise is paired with a minibatch of data before the flow-matching regression. */
export type CouplingMethod = 'independent' | 'exact' | 'sinkhorn';

/** Options of {@link minibatchCoupling}. */
export interface CouplingOptions {
  /** `exact` (the Hungarian algorithm) or `sinkhorn` (entropic, approximate). */
  method: 'exact' | 'sinkhorn';
  /** Sinkhorn's entropic regularisation, relative to the mean pairwise cost (default 0.05). */
  epsilon?: number;
  /** Sinkhorn iterations (default 100). */
  iterations?: number;
  /** Generator for Sinkhorn's sampled pairs. */
  random?: Random | number;
}

/** Squared Euclidean distances between the rows of `a` `[N, ...]` and of `b` `[M, ...]`, read back as `N × M` float64 values. */
export function squaredDistances(a: tf.Tensor, b: tf.Tensor): { cost: Float64Array; rows: number; columns: number } {
  const rows = a.shape[0];
  const columns = b.shape[0];
  const values = tf.tidy(() => {
    const flatA = tf.reshape(a, [rows, -1]) as tf.Tensor2D;
    const flatB = tf.reshape(b, [columns, -1]) as tf.Tensor2D;
    const cross = tf.matMul(flatA, flatB, false, true);
    const normsA = tf.reshape(tf.sum(tf.square(flatA), 1), [rows, 1]);
    const normsB = tf.reshape(tf.sum(tf.square(flatB), 1), [1, columns]);
    return tf.relu(tf.sub(tf.add(normsA, normsB), tf.mul(cross, 2))).dataSync();
  });
  return { cost: Float64Array.from(values), rows, columns };
}

/**
 * The assignment of least total cost for a square cost matrix (row-major, `n × n`): the Hungarian
 * algorithm (Kuhn 1955, Munkres 1957) in its O(n³) shortest-augmenting-path form with row and column
 * potentials. Returns `assignment[row] = column`.
 */
export function hungarian(cost: Float64Array, n: number): Int32Array {
  if (cost.length !== n * n) throw new RangeError(`hungarian: expected ${n * n} costs for ${n} rows, got ${cost.length}`);
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  // p[j]: the row (1-based) matched to column j; column 0 is the free row being inserted.
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      const rowOffset = (i0 - 1) * n - 1;
      const ui0 = u[i0];
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const reduced = cost[rowOffset + j] - ui0 - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Int32Array(n);
  for (let j = 1; j <= n; j++) assignment[p[j] - 1] = j - 1;
  return assignment;
}

/**
 * The entropic optimal-transport plan between two uniform marginals of `n` points (Cuturi,
 * "Sinkhorn Distances", NeurIPS 2013), by log-domain Sinkhorn iterations on the device:
 * `f_i = −ε LSE_j((g_j − C_ij)/ε) − ε log n`, `g_j = −ε LSE_i((f_i − C_ij)/ε) − ε log n`,
 * `π_ij = exp((f_i + g_j − C_ij)/ε)`. Returns the plan, row-major.
 */
export function sinkhornPlan(cost: Float64Array, n: number, epsilon: number, iterations: number): Float32Array {
  return tf.tidy(() => {
    const c = tf.tensor2d(Float32Array.from(cost), [n, n]);
    const logWeight = -Math.log(n);
    let f = tf.zeros([n, 1]);
    let g = tf.zeros([1, n]);
    for (let k = 0; k < iterations; k++) {
      const nextF = tf.tidy(() => tf.mul(tf.sub(tf.logSumExp(tf.div(tf.sub(g, c), epsilon), 1, true), logWeight), -epsilon));
      f.dispose();
      f = nextF;
      const nextG = tf.tidy(() => tf.mul(tf.sub(tf.logSumExp(tf.div(tf.sub(f, c), epsilon), 0, true), logWeight), -epsilon));
      g.dispose();
      g = nextG;
    }
    return tf.exp(tf.div(tf.sub(tf.add(f, g), c), epsilon)).dataSync() as Float32Array;
  });
}

/**
 * Minibatch optimal-transport coupling (Tong et al., "Improving and Generalizing Flow-Based
 * Generative Models with Minibatch Optimal Transport", TMLR 2024; Pooladian et al., "Multisample Flow
 * Matching", ICML 2023): pairs each data row with a noise row so that the pairs' total squared
 * distance is (nearly) least, which straightens the paths that flow matching regresses on.
 *
 * Returns `order` with `noise[order[j]]` paired with `data[j]`: the data rows (and their contexts)
 * stay in place. `exact` gives a permutation (Hungarian, O(n³) on the host); `sinkhorn` draws, for
 * each data row `j`, a noise row from the entropic plan's column `π_{·j}` (so rows may repeat).
 */
export function minibatchCoupling(noise: tf.Tensor, data: tf.Tensor, options: CouplingOptions): Int32Array {
  const n = data.shape[0];
  if (noise.shape[0] !== n) throw new RangeError(`minibatchCoupling: ${noise.shape[0]} noise rows for ${n} data rows`);
  const { cost } = squaredDistances(noise, data);
  if (options.method === 'exact') {
    // hungarian gives each noise row its data row; the coupling is read the other way round.
    const assignment = hungarian(cost, n);
    const order = new Int32Array(n);
    assignment.forEach((column, row) => (order[column] = row));
    return order;
  }
  if (options.method !== 'sinkhorn') throw new RangeError(`minibatchCoupling: method must be 'exact' or 'sinkhorn', got ${JSON.stringify(options.method)}`);
  const meanCost = cost.reduce((a, b) => a + b, 0) / cost.length;
  const epsilon = (options.epsilon ?? 0.05) * Math.max(meanCost, 1e-12);
  const iterations = options.iterations ?? 100;
  if (!(epsilon > 0) || !Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`minibatchCoupling: epsilon must be positive and iterations a positive integer, got ${options.epsilon} and ${options.iterations}`);
  }
  const plan = sinkhornPlan(cost, n, epsilon, iterations);
  const random = options.random instanceof Random ? options.random : new Random(options.random ?? 0);
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += plan[i * n + j];
    let target = random.uniform() * total;
    let chosen = n - 1;
    for (let i = 0; i < n; i++) {
      target -= plan[i * n + j];
      if (target < 0) {
        chosen = i;
        break;
      }
    }
    order[j] = chosen;
  }
  return order;
}
