import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { drawProbes, exactDivergence, hutchinsonDivergence, probeQuadraticForms } from './divergence.js';
import { MLPVectorField } from './mlp-vector-field.js';
import { VectorField } from './vector-field.js';

/** A field with random weights everywhere (a fresh one has a zero last layer: divergence 0). */
function randomField(
  size: number,
  options: { contextSize?: number; activation?: 'swish' | 'tanh' | 'elu' | 'softplus'; timeFeatures?: number; positionFeatures?: number } = {},
): MLPVectorField {
  const field = new MLPVectorField({ size, hidden: [16, 16], seed: 3, ...options });
  const random = new Random(11);
  for (const variable of field.trainableVariables) {
    tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(random.fillNormal(new Float32Array(variable.size), 0, 0.5), variable.shape))));
  }
  return field;
}

/** The same network without its forward-mode products: the divergence comes from reverse-mode autodiff. */
class WithoutJvp extends VectorField {
  static override readonly className: string = 'WithoutJvp';
  constructor(readonly inner: MLPVectorField) {
    super();
  }
  get eventShape(): readonly number[] {
    return this.inner.eventShape;
  }
  override get contextSize(): number {
    return this.inner.contextSize;
  }
  override get trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables;
  }
  apply(x: tf.Tensor, t: number | tf.Tensor1D, context?: tf.Tensor): tf.Tensor {
    return this.inner.apply(x, t, context);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** Σ_i ∂v_i/∂x_i by central differences in float32 (step 1e-2: error O(h²) ≈ 1e-4 on these fields). */
function finiteDifferenceDivergence(field: VectorField, x: number[][], t: number, context?: tf.Tensor): number[] {
  const h = 1e-2;
  return x.map((row, n) =>
    tf.tidy(() => {
      let sum = 0;
      for (let i = 0; i < row.length; i++) {
        const plus = row.map((v, k) => (k === i ? v + h : v));
        const minus = row.map((v, k) => (k === i ? v - h : v));
        const c = context ? tf.slice(context, n, 1) : undefined;
        const vPlus = field.apply(tf.tensor2d([plus]), t, c).dataSync()[i];
        const vMinus = field.apply(tf.tensor2d([minus]), t, c).dataSync()[i];
        sum += (vPlus - vMinus) / (2 * h);
      }
      return sum;
    }),
  );
}

const points = [
  [0.3, -1.2, 0.5],
  [1.5, 0.2, -0.7],
  [-0.4, 0.9, 2.1],
];

describe('exact divergence', () => {
  for (const activation of ['swish', 'tanh', 'elu', 'softplus'] as const) {
    it(`forward-mode (the MLP field's jvp) and reverse-mode agree with finite differences (${activation})`, () => {
      const field = randomField(3, { activation, contextSize: 2, timeFeatures: 2 });
      const context = tf.tensor2d([
        [0.1, -0.3],
        [1, 0.5],
        [-2, 0.2],
      ]);
      const x = tf.tensor2d(points);
      const forward = exactDivergence(field, x, 0.37, context);
      const reverse = exactDivergence(new WithoutJvp(field), x, 0.37, context);
      const expected = finiteDifferenceDivergence(field, points, 0.37, context);
      const f = forward.divergence.dataSync();
      const r = reverse.divergence.dataSync();
      expected.forEach((e, n) => {
        expect(Math.abs(f[n] - e)).toBeLessThan(2e-3 * (1 + Math.abs(e)));
        expect(Math.abs(r[n] - f[n])).toBeLessThan(1e-5 * (1 + Math.abs(e)));
      });
      // Both return the field's value too, unchanged.
      const value = field.apply(x, 0.37, context);
      expect(tf.max(tf.abs(tf.sub(forward.value, value))).dataSync()[0]).toBeLessThan(1e-6);
      expect(tf.max(tf.abs(tf.sub(reverse.value, value))).dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([context, x, forward.value, forward.divergence, reverse.value, reverse.divergence, value]);
      field.dispose();
    });
  }

  it('includes the position features in the forward-mode products (agrees with reverse mode and finite differences)', () => {
    const field = randomField(3, { positionFeatures: 3, timeFeatures: 1 });
    const x = tf.tensor2d(points);
    const forward = exactDivergence(field, x, 0.8).divergence.dataSync();
    const reverse = exactDivergence(new WithoutJvp(field), x, 0.8).divergence.dataSync();
    const expected = finiteDifferenceDivergence(field, points, 0.8);
    expected.forEach((e, n) => {
      expect(Math.abs(forward[n] - reverse[n])).toBeLessThan(1e-4 * (1 + Math.abs(e)));
      expect(Math.abs(forward[n] - e)).toBeLessThan(5e-3 * (1 + Math.abs(e)));
    });
    // The features matter: without their tangents the forward-mode divergence would be another number.
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0.1);
    x.dispose();
    field.dispose();
  });

  it('takes one time per row as well as one for the batch', () => {
    const field = randomField(3, { timeFeatures: 1 });
    const x = tf.tensor2d(points);
    const times = tf.tensor1d([0.1, 0.5, 0.9]);
    const perRow = exactDivergence(field, x, times).divergence.dataSync();
    [0.1, 0.5, 0.9].forEach((t, n) => {
      const alone = exactDivergence(field, tf.slice(x, n, 1), t).divergence.dataSync()[0];
      expect(perRow[n]).toBeCloseTo(alone, 5);
    });
    tf.dispose([x, times]);
    field.dispose();
  });
});

describe('Hutchinson divergence', () => {
  for (const probe of ['gaussian', 'rademacher'] as const) {
    it(`is unbiased (${probe} probes): the mean over 20 000 probes is the exact trace within 4 standard errors`, () => {
      const field = randomField(3);
      const x = tf.tensor2d(points);
      const exact = exactDivergence(field, x, 0.6).divergence.dataSync();
      const count = 20_000;
      const probes = drawProbes(probe, count, [3, 3], new Random(5));
      const forms = probeQuadraticForms(field, x, 0.6, probes).forms;
      const values = forms.arraySync() as number[][];
      for (let n = 0; n < 3; n++) {
        const column = values.map((row) => row[n]);
        const mean = column.reduce((a, b) => a + b, 0) / count;
        const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (count - 1);
        const standardError = Math.sqrt(variance / count);
        expect(Math.abs(mean - exact[n])).toBeLessThan(4 * standardError + 1e-5);
        // And the estimate is not trivially exact: the probes do vary it.
        expect(variance).toBeGreaterThan(1e-4);
      }
      const averaged = hutchinsonDivergence(field, x, 0.6, probes).divergence.dataSync();
      averaged.forEach((v, n) => expect(Math.abs(v - exact[n])).toBeLessThan(0.05 * (1 + Math.abs(exact[n]))));
      tf.dispose([x, probes, forms]);
      field.dispose();
    });
  }

  it('has a lower variance with Rademacher probes than with Gaussian ones (Hutchinson 1990)', () => {
    const field = randomField(3);
    const x = tf.tensor2d(points);
    const variance = (probe: 'gaussian' | 'rademacher') =>
      tf.tidy(() => {
        const forms = probeQuadraticForms(field, x, 0.6, drawProbes(probe, 5000, [3, 3], new Random(9))).forms;
        return tf.mean(tf.moments(forms, 0).variance).dataSync()[0];
      });
    expect(variance('rademacher')).toBeLessThan(variance('gaussian'));
    x.dispose();
    field.dispose();
  });

  it('draws the same probes from the same seed, and Rademacher probes are ±1', () => {
    const a = drawProbes('rademacher', 2, [4, 3], new Random(1));
    const b = drawProbes('rademacher', 2, [4, 3], new Random(1));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync()).every((v) => v === 1 || v === -1)).toBe(true);
    tf.dispose([a, b]);
  });
});

describe('gradients through the divergence (what maximum-likelihood training needs)', () => {
  const x = () =>
    tf.tensor2d([
      [0.2, -0.5],
      [1.1, 0.4],
    ]);
  const gradientsOf = (f: VectorField, field: MLPVectorField, points: tf.Tensor) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(exactDivergence(f, points, 0.3).divergence) as tf.Scalar, field.trainableVariables);
      // The last bias does not move the divergence: no gradient, read as zeros.
      return field.trainableVariables.map((v) => (grads[v.name] ? Array.from(grads[v.name].dataSync()) : new Array<number>(v.size).fill(0)));
    });

  it("the forward-mode trace's parameter gradients match finite differences (tanh, swish)", () => {
    for (const activation of ['tanh', 'swish'] as const) {
      const field = randomField(2, { activation });
      const points = x();
      const analytic = gradientsOf(field, field, points);
      const variable = field.trainableVariables[2];
      const base = variable.dataSync().slice();
      for (const k of [0, 5, 17]) {
        const at = (delta: number) =>
          tf.tidy(() => {
            const moved = base.slice();
            moved[k] += delta;
            variable.assign(tf.tensor(moved, variable.shape));
            return tf.sum(exactDivergence(field, points, 0.3).divergence).dataSync()[0];
          });
        const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
        tf.tidy(() => variable.assign(tf.tensor(base, variable.shape)));
        expect(Math.abs(analytic[2][k] - numeric)).toBeLessThan(2e-3 * (1 + Math.abs(numeric)));
      }
      points.dispose();
      field.dispose();
    }
  });

  it('the reverse-mode trace gives the same parameter gradients where TF.js differentiates twice correctly (softplus)', () => {
    // TF.js 4.22 drops the second-order term of ops whose gradient reads their own output (tanh,
    // sigmoid, elu: the saved output's clone is taped before the op itself); softplus reads its input.
    const field = randomField(2, { activation: 'softplus' });
    const points = x();
    const forward = gradientsOf(field, field, points);
    const reverse = gradientsOf(new WithoutJvp(field), field, points);
    forward.forEach((g, i) => g.forEach((value, k) => expect(Math.abs(value - reverse[i][k])).toBeLessThan(1e-4 * (1 + Math.abs(value)))));
    expect(forward.flat().some((v) => Math.abs(v) > 1e-3)).toBe(true);
    points.dispose();
    field.dispose();
  });
});
