import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dormandPrince } from './dormand-prince.js';
import { OdeMaxStepsError, type OdeFunction } from './ode-solver.js';
import { rungeKutta4 } from './runge-kutta-4.js';
import { solveOde } from './solve.js';

/** Largest absolute difference between a tensor and an array of expected values. */
function gap(actual: tf.Tensor, expected: number[]): number {
  const values = actual.dataSync();
  return Math.max(...expected.map((e, i) => Math.abs(values[i] - e)));
}

/** dx/dt = a x: x(t) = x₀ e^{a t}. */
const linear =
  (a: number): OdeFunction =>
  (_t, [x]) => [tf.mul(x, a)];

/** Rotation dx/dt = −y, dy/dt = x: the point turns by the angle t. */
const rotation: OdeFunction = (_t, [p]) => [
  tf.matMul(
    p,
    tf.tensor2d([
      [0, 1],
      [-1, 0],
    ]),
  ),
];

/** A time-dependent field dx/dt = cos(t) x: x(t) = x₀ e^{sin t}. */
const timeDependent: OdeFunction = (t, [x]) => [tf.mul(x, Math.cos(t))];

function rotated(angle: number, points: number[][]): number[] {
  return points.flatMap(([x, y]) => [x * Math.cos(angle) - y * Math.sin(angle), x * Math.sin(angle) + y * Math.cos(angle)]);
}

describe('rungeKutta4', () => {
  it('solves dx/dt = a x to fourth order: halving the step divides the error by about 16', () => {
    const x0 = tf.tensor2d([[1], [-0.5]]);
    const errors = [4, 8, 16].map((steps) => {
      const { state, stats } = rungeKutta4(linear(1.5), [x0], 0, 1, steps);
      expect(stats).toEqual({ nfe: 4 * steps, steps, rejected: 0 });
      const error = gap(state[0], [Math.exp(1.5), -0.5 * Math.exp(1.5)]);
      tf.dispose(state);
      return error;
    });
    expect(errors[0] / errors[1]).toBeGreaterThan(12);
    expect(errors[0] / errors[1]).toBeLessThan(20);
    expect(errors[1] / errors[2]).toBeGreaterThan(11);
    x0.dispose();
  });

  it('turns points by the rotation field and back again (both directions)', () => {
    const points = [
      [1, 0],
      [0.3, -2],
    ];
    const p0 = tf.tensor2d(points);
    const forward = rungeKutta4(rotation, [p0], 0, 1, 64);
    expect(gap(forward.state[0], rotated(1, points))).toBeLessThan(1e-5);
    const back = rungeKutta4(rotation, forward.state, 1, 0, 64);
    expect(gap(back.state[0], points.flat())).toBeLessThan(1e-5);
    tf.dispose([p0, ...forward.state, ...back.state]);
  });

  it('solves a time-dependent field, t passed to f at each stage', () => {
    const x0 = tf.tensor2d([[2]]);
    const { state } = rungeKutta4(timeDependent, [x0], 0, 2, 40);
    expect(gap(state[0], [2 * Math.exp(Math.sin(2))])).toBeLessThan(2e-5);
    tf.dispose([x0, ...state]);
  });

  it('backpropagates through its steps: d x(1)/d a = x₀ e^a for dx/dt = a x', () => {
    const a = tf.scalar(0.7);
    const x0 = tf.tensor2d([[1.3]]);
    const gradient = tf.grad((aa: tf.Tensor) => {
      const { state } = rungeKutta4((_t, [x]) => [tf.mul(x, aa)], [x0], 0, 1, 16);
      return tf.sum(state[0]);
    })(a);
    expect(gradient.dataSync()[0]).toBeCloseTo(1.3 * Math.exp(0.7), 4);
    tf.dispose([a, x0, gradient]);
  });
});

describe('dormandPrince', () => {
  it('meets its tolerance on dx/dt = a x, and a tighter tolerance gives a smaller error for more evaluations', () => {
    const x0 = tf.tensor2d([[1], [0.25]]);
    const runs = [1e-3, 1e-5, 1e-7].map((tolerance) => {
      const { state, stats } = dormandPrince(linear(2), [x0], 0, 1, { rtol: tolerance, atol: tolerance });
      const error = gap(state[0], [Math.exp(2), 0.25 * Math.exp(2)]);
      tf.dispose(state);
      return { tolerance, error, nfe: stats.nfe };
    });
    for (const run of runs.slice(0, 2)) expect(run.error).toBeLessThan(20 * run.tolerance * Math.exp(2));
    expect(runs[1].error).toBeLessThan(runs[0].error);
    expect(runs[1].nfe).toBeGreaterThan(runs[0].nfe);
    expect(runs[2].nfe).toBeGreaterThan(runs[1].nfe);
    // float32 state: at 1e-7 the error is float32 rounding, a few units of e² · 6e-8.
    expect(runs[2].error).toBeLessThan(2e-5);
    x0.dispose();
  });

  it('integrates the rotation and a time-dependent field forwards and backwards, each controller', () => {
    const points = [
      [1, 0],
      [-0.4, 1.5],
    ];
    for (const controller of ['pi', 'standard'] as const) {
      const p0 = tf.tensor2d(points);
      const forward = dormandPrince(rotation, [p0], 0, 3, { rtol: 1e-6, atol: 1e-6, controller });
      expect(gap(forward.state[0], rotated(3, points))).toBeLessThan(5e-5);
      const back = dormandPrince(rotation, forward.state, 3, 0, { rtol: 1e-6, atol: 1e-6, controller });
      expect(gap(back.state[0], points.flat())).toBeLessThan(1e-4);
      const x0 = tf.tensor2d([[1], [-2]]);
      const late = dormandPrince(timeDependent, [x0], 0.5, -1, { rtol: 1e-6, atol: 1e-6, controller });
      const factor = Math.exp(Math.sin(-1) - Math.sin(0.5));
      expect(gap(late.state[0], [factor, -2 * factor])).toBeLessThan(1e-5);
      tf.dispose([p0, x0, ...forward.state, ...back.state, ...late.state]);
    }
  });

  it('counts every function evaluation: 2 to start, 6 per step (the seventh is the next first)', () => {
    let calls = 0;
    const counted: OdeFunction = (t, state) => {
      calls += 1;
      return rotation(t, state);
    };
    const p0 = tf.tensor2d([[1, 2]]);
    const { state, stats } = dormandPrince(counted, [p0], 0, 2, { rtol: 1e-6, atol: 1e-6 });
    expect(stats.nfe).toBe(calls);
    expect(stats.nfe).toBe(2 + 6 * (stats.steps + stats.rejected));
    expect(stats.steps).toBeGreaterThan(3);
    tf.dispose([p0, ...state]);
  });

  it('rejects steps that are too long and retries them shorter', () => {
    // A field that turns on sharply at t = 0.5: the first long steps overshoot the tolerance.
    const sharp: OdeFunction = (t, [x]) => [tf.mul(tf.onesLike(x), 50 * Math.exp(-(((t - 0.5) / 0.02) ** 2)))];
    const x0 = tf.tensor2d([[0]]);
    const { state, stats } = dormandPrince(sharp, [x0], 0, 1, { rtol: 1e-6, atol: 1e-6, initialStep: 0.3 });
    expect(stats.rejected).toBeGreaterThan(0);
    expect(gap(state[0], [50 * 0.02 * Math.sqrt(Math.PI)])).toBeLessThan(1e-4);
    tf.dispose([x0, ...state]);
  });

  it('throws a clear error at maxSteps, and frees what it made', () => {
    const x0 = tf.tensor2d([[1]]);
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      dormandPrince(linear(30), [x0], 0, 1, { rtol: 1e-8, atol: 1e-8, maxSteps: 5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OdeMaxStepsError);
    expect((caught as Error).message).toMatch(/took its 5 steps \(maxSteps\).*Raise maxSteps, loosen rtol\/atol/);
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
  });

  it('measures the error of every batch row: one fast-moving point is integrated to the tolerance', () => {
    // Row 0 grows like e^{8t}, the other 999 rows barely move; a plain RMS over the batch would dilute row 0's error.
    const rates = tf.tensor2d(Array.from({ length: 1000 }, (_, i) => [i === 0 ? 8 : 0.01]));
    const x0 = tf.onesLike(rates);
    const { state } = dormandPrince((_t, [x]) => [tf.mul(x, rates)], [x0], 0, 1, { rtol: 1e-4, atol: 1e-4 });
    // Alone it is off by 6e-5; a plain RMS over the 1000 rows let it be off by 6.5e-4.
    expect(Math.abs(state[0].dataSync()[0] / Math.exp(8) - 1)).toBeLessThan(2.5e-4);
    tf.dispose([rates, x0, ...state]);
  });
});

describe('solveOde', () => {
  it('dispatches on the method, leaves the input alone and leaks nothing', () => {
    const x0 = tf.tensor2d([[1, 0]]);
    const warm = solveOde(rotation, [x0], 0, 1, { method: 'rk4', steps: 4 });
    tf.dispose(warm.state);
    const before = tf.memory().numTensors;
    for (const options of [{ method: 'rk4', steps: 10 } as const, { method: 'dopri5' } as const]) {
      const { state } = solveOde(rotation, [x0], 0, 1, options);
      expect(gap(state[0], rotated(1, [[1, 0]]))).toBeLessThan(1e-4);
      tf.dispose(state);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(x0.isDisposed).toBe(false);
    x0.dispose();
  });

  it('rejects unknown methods and options by name', () => {
    const x0 = tf.tensor2d([[1]]);
    expect(() => solveOde(rotation, [x0], 0, 1, { method: 'euler' } as never)).toThrow(/unknown solver method "euler"; expected one of rk4, dopri5/);
    expect(() => solveOde(rotation, [x0], 0, 1, { method: 'rk4', rtol: 1e-3 } as never)).toThrow(/unknown option 'rtol' for method 'rk4'/);
    expect(() => solveOde(rotation, [x0], 0, 1, { method: 'dopri5', atol: -1 })).toThrow(/atol must be a positive finite number/);
    x0.dispose();
  });
});
