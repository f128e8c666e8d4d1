import * as tf from '@tensorflow/tfjs-core';
import { MaskedAutoregressive, transformerFromJSON, transformerToJSON } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import {
  BernsteinTransformer,
  DeepSigmoidalTransformer,
  InvertedTransformer,
  type MonotoneTransformer,
  registerMonotoneTransformers,
  SumOfSquaresTransformer,
  UMNNTransformer,
} from './index.js';

registerMonotoneTransformers();

const CASES: [string, () => MonotoneTransformer][] = [
  ['UMNNTransformer', () => new UMNNTransformer()],
  ['SumOfSquaresTransformer', () => new SumOfSquaresTransformer()],
  ['BernsteinTransformer', () => new BernsteinTransformer()],
  ['DeepSigmoidalTransformer', () => new DeepSigmoidalTransformer({ layers: 2 })],
];

/** Random raw parameters, the same for every row, for a column of points. */
function sharedParameters(t: MonotoneTransformer, rows: number, seed: number, std = 1): tf.Tensor3D {
  return tf.tile(tf.randomNormal([1, 1, t.parameterCount], 0, std, 'float32', seed), [rows, 1, 1]) as tf.Tensor3D;
}

const column = (values: number[]) => tf.tensor2d(values, [values.length, 1]);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe.each(CASES)('%s', (_, make) => {
  it('is increasing, and its log-derivative matches central differences inside [−B, B] and in the linear tails', () => {
    const t = make();
    tf.tidy(() => {
      const grid = Array.from({ length: 161 }, (_, i) => -8 + i * 0.1 + 0.013);
      const theta = sharedParameters(t, grid.length, 11, 1.5);
      const [v, logDerivative] = t.forward(column(grid), theta);
      const out = values(v);
      for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThan(out[i - 1]);
      const h = 2e-3;
      const [plus] = t.forward(column(grid.map((x) => x + h)), theta);
      const [minus] = t.forward(column(grid.map((x) => x - h)), theta);
      const slopes = values(tf.div(tf.sub(plus, minus), 2 * h));
      values(logDerivative).forEach((value, i) => {
        expect(Number.isFinite(value)).toBe(true);
        expect(Math.abs(value - Math.log(slopes[i]))).toBeLessThan(2e-2);
      });
    });
  });

  it('inverts to 1e-5 from −50 to 50 and far in the tails (±1e6, ±1e30) with no NaN, and its log-derivative is the forward one negated', () => {
    const t = make();
    tf.tidy(() => {
      const points = [-1e30, -1e6, -50, -7, -5, -4.2, -1, -0.3, 0, 0.25, 1.7, 3.3, 4.999, 5, 6, 50, 1e6, 1e30];
      for (const seed of [1, 2, 3]) {
        const theta = tf.randomNormal([points.length, 1, t.parameterCount], 0, 1.5, 'float32', seed) as tf.Tensor3D;
        const [v, forwardLog] = t.forward(column(points), theta);
        const [back, inverseLog] = t.inverse(v, theta);
        expect(t.lastInverse.converged).toBe(true);
        values(back).forEach((x, i) => {
          expect(Number.isFinite(x)).toBe(true);
          expect(Math.abs(x - points[i]) / (1 + Math.abs(points[i]))).toBeLessThan(1e-5);
        });
        const sums = values(tf.add(forwardLog, inverseLog));
        sums.forEach((sum) => expect(Math.abs(sum)).toBeLessThan(1e-4));
        // Values the forward map never produced (any real number is in its range).
        const [x, log] = t.inverse(
          column([-3e38, -1e20, 0, 1e20, 3e38].map((a) => a / 1e4)),
          tf.slice(theta, [0, 0, 0], [5, 1, t.parameterCount]) as tf.Tensor3D,
        );
        expect(values(tf.concat([x, log])).every(Number.isFinite)).toBe(true);
      }
    });
  });

  it('converges in a few Newton steps on a batch of 512 coordinates (bisection alone needs about 24), every coordinate to 5e-5', () => {
    const t = make();
    tf.tidy(() => {
      for (const seed of [21, 22]) {
        const u = tf.randomNormal([256, 2], 0, 2, 'float32', seed) as tf.Tensor2D;
        const theta = tf.randomNormal([256, 2, t.parameterCount], 0, 1, 'float32', seed + 100) as tf.Tensor3D;
        const [v] = t.forward(u, theta);
        const [back] = t.inverse(v, theta);
        expect(t.lastInverse.converged).toBe(true);
        expect(t.lastInverse.iterations).toBeLessThanOrEqual(16);
        const error = tf.max(tf.div(tf.abs(tf.sub(back, u)), tf.add(1, tf.abs(u)))).dataSync()[0];
        expect(error).toBeLessThan(5e-5);
      }
    });
  });

  it('stops at its iteration cap, says so, and still returns finite values', () => {
    const t = make();
    const capped = (t.constructor as unknown as { fromConfig(c: object): MonotoneTransformer }).fromConfig({ ...t.getConfig(), maxIterations: 1 });
    tf.tidy(() => {
      const theta = tf.randomNormal([6, 1, t.parameterCount], 0, 1.5, 'float32', 4) as tf.Tensor3D;
      const v = column([-3, -1, 0, 0.5, 2, 4]);
      const [x, log] = capped.inverse(v, theta);
      expect(capped.lastInverse).toEqual({ iterations: 1, converged: false });
      expect(values(tf.concat([x, log])).every(Number.isFinite)).toBe(true);
      capped.inverse(v, theta);
      t.inverse(v, theta);
      expect(t.lastInverse.iterations).toBeGreaterThan(1);
      expect(t.lastInverse.converged).toBe(true);
    });
  });

  it("the inverse's derivatives are the implicit function theorem's: ∂x/∂v = 1/g'(x) and ∂x/∂θ = −(∂g/∂θ)/g'", () => {
    const t = make();
    tf.tidy(() => {
      const v = column([-6, -1.2, 0.4, 2.5, 7]);
      const theta = tf.randomNormal([5, 1, t.parameterCount], 0, 1, 'float32', 5) as tf.Tensor3D;
      const [x, inverseLog] = t.inverse(v, theta);
      const dxdv = tf.grad((input: tf.Tensor) => tf.sum(t.inverse(input as tf.Tensor2D, theta)[0]))(v);
      values(dxdv).forEach((value, i) => expect(Math.abs(Math.log(value) - inverseLog.dataSync()[i])).toBeLessThan(1e-4));
      // One parameter at a time: autodiff against central differences of the whole inverse.
      const dxdtheta = values(tf.grad((p: tf.Tensor) => tf.sum(t.inverse(v, p as tf.Tensor3D)[0]))(theta));
      const h = 1e-2;
      for (const k of [0, 1, t.parameterCount - 1]) {
        const bump = tf.reshape(tf.oneHot(tf.tensor1d([k], 'int32'), t.parameterCount), [1, 1, t.parameterCount]);
        const [plus] = t.inverse(v, tf.add(theta, tf.mul(bump, h)) as tf.Tensor3D);
        const [minus] = t.inverse(v, tf.sub(theta, tf.mul(bump, h)) as tf.Tensor3D);
        const difference = values(tf.div(tf.sub(plus, minus), 2 * h));
        difference.forEach((value, row) => expect(Math.abs(dxdtheta[row * t.parameterCount + k] - value)).toBeLessThan(1e-2 * (1 + Math.abs(value))));
      }
      expect(values(x).every(Number.isFinite)).toBe(true);
    });
  });

  it("survives its configuration and a MAF's log-det matches the Jacobian of its D-pass sampling direction", () => {
    const t = make();
    const copy = transformerFromJSON(JSON.parse(JSON.stringify(transformerToJSON(t))));
    expect(copy.constructor).toBe(t.constructor);
    expect(transformerToJSON(copy)).toEqual(transformerToJSON(t));
    const inverted = transformerFromJSON(transformerToJSON(new InvertedTransformer(t)));
    expect(inverted).toBeInstanceOf(InvertedTransformer);
    // The kit's Jacobian check accepts a singular Jacobian (its log|det| is −∞); this one is finite.
    const maf = new MaskedAutoregressive({ size: 2, transformer: t, hidden: [6], seed: 9 });
    for (const v of maf.trainableVariables) tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.5, 'float32', 9))));
    tf.tidy(() => {
      const z = tf.tensor2d([[0.3, -1.1]]);
      const rows = [0, 1].map((row) => values(tf.grad((input: tf.Tensor) => tf.sum(tf.slice(maf.uncheckedForwardAndLogDet(input)[0], [0, row], [1, 1])))(z)));
      const determinant = rows[0][0] * rows[1][1] - rows[0][1] * rows[1][0];
      const [, logDet] = maf.forwardAndLogDet(z);
      expect(Number.isFinite(Math.log(Math.abs(determinant)))).toBe(true);
      expect(Math.abs(logDet.dataSync()[0] - Math.log(Math.abs(determinant)))).toBeLessThan(1e-3);
    });
    maf.dispose();
  });
});

describe('starting points', () => {
  it('UMNN and Bernstein are the identity at zero raw parameters; sum-of-squares is within 2 % of it', () => {
    tf.tidy(() => {
      const grid = [-7, -4.5, -2, -0.5, 0, 1, 3.5, 6];
      const zeros = (t: MonotoneTransformer) => tf.zeros([grid.length, 1, t.parameterCount]) as tf.Tensor3D;
      for (const t of [new UMNNTransformer(), new BernsteinTransformer()]) {
        const [v, log] = t.forward(column(grid), zeros(t));
        values(v).forEach((value, i) => expect(value).toBeCloseTo(grid[i], 4));
        values(log).forEach((value) => expect(Math.abs(value)).toBeLessThan(1e-5));
      }
      const sos = new SumOfSquaresTransformer();
      const [v] = sos.forward(column(grid), zeros(sos));
      values(v).forEach((value, i) => expect(Math.abs(value - grid[i])).toBeLessThan(0.02 * Math.abs(grid[i]) + 1e-6));
    });
  });
});

describe('options', () => {
  it('are checked, with the option named', () => {
    expect(() => new UMNNTransformer({ panels: 7 })).toThrow(/panels must be an even integer/);
    expect(() => new UMNNTransformer({ hiden: 4 } as never)).toThrow(/UMNNTransformer: unknown option 'hiden' \(did you mean 'hidden'\?\)/);
    expect(() => new SumOfSquaresTransformer({ degree: 0 })).toThrow(/degree must be an integer of at least 1/);
    expect(() => new BernsteinTransformer({ degree: 80 })).toThrow(/degree must be at most 64/);
    expect(() => new DeepSigmoidalTransformer({ bound: -1 })).toThrow(/bound must be a positive number/);
    expect(() => new BernsteinTransformer({ tolerance: 0 })).toThrow(/tolerance must lie in \(0, 1\)/);
    expect(() => new UMNNTransformer({ maxIterations: 0.5 })).toThrow(/maxIterations must be a positive integer/);
    expect(() => new DeepSigmoidalTransformer({ minDerivative: 2 })).toThrow(/minDerivative must lie in \(0, 1\)/);
    expect(() => new InvertedTransformer(undefined as never)).toThrow(/give the transformer to invert/);
  });
});
