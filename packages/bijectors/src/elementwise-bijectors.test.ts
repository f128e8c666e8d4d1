import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Exp } from './exp.js';
import { Power } from './power.js';
import { SinhArcsinh } from './sinh-arcsinh.js';
import { Softplus } from './softplus.js';

const values = (t: tf.Tensor) => {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
};

describe('elementwise bijectors: values at known points', () => {
  it('Exp: y = e^x with log-det Σx; the inverse rejects y ≤ 0', () => {
    const [y, logDet] = new Exp().forwardAndLogDet(tf.tensor2d([[0, 1]]));
    expect(values(y)[1]).toBeCloseTo(Math.E, 5);
    expect(values(logDet)[0]).toBeCloseTo(1, 6);
    expect(() => new Exp().inverse(tf.tensor2d([[1, 0]]))).toThrow(/Exp\.inverse: input must lie strictly inside \(0, Infinity\)/);
  });

  it('Softplus: accurate far out in both directions (no overflow at x = 50, no cancellation at y = 1e-6)', () => {
    const [y, logDet] = new Softplus().forwardAndLogDet(tf.tensor2d([[50, -20]]));
    const [y50, yNegative] = values(y);
    expect(y50).toBeCloseTo(50, 4);
    expect(yNegative).toBeCloseTo(Math.exp(-20), 12);
    // log σ(50) + log σ(−20) = −softplus(−50) − softplus(20) ≈ −20
    expect(values(logDet)[0]).toBeCloseTo(-20, 4);
    const [x, inverseLogDet] = new Softplus().inverseAndLogDet(tf.tensor2d([[1e-6, 30]]));
    const [small, large] = values(x);
    expect(small).toBeCloseTo(Math.log(Math.expm1(1e-6)), 3);
    expect(large).toBeCloseTo(30, 4);
    expect(values(inverseLogDet)[0]).toBeCloseTo(-Math.log(-Math.expm1(-1e-6)) - Math.log(-Math.expm1(-30)), 2);
    expect(() => new Softplus().inverse(tf.tensor2d([[-1, 1]]))).toThrow(/strictly inside \(0, Infinity\)/);
  });

  it('Power: y = x^p with log-det Σ[log p + (p − 1) log x]; rejects non-positive input and bad exponents', () => {
    const power = new Power({ power: 2 });
    const [y, logDet] = power.forwardAndLogDet(tf.tensor2d([[3, 0.5]]));
    expect(values(y)).toEqual([9, 0.25]);
    expect(values(logDet)[0]).toBeCloseTo(2 * Math.log(2) + Math.log(3) + Math.log(0.5), 5);
    expect(values(power.inverse(tf.tensor2d([[9, 0.25]])))).toEqual([3, 0.5]);
    expect(() => power.forward(tf.tensor2d([[-1, 1]]))).toThrow(/Power\.forward: input must lie strictly inside/);
    expect(() => new Power({ power: 0 })).toThrow(/power must be a finite number > 0/);
    expect(() => new Power({ exponent: 2 } as never)).toThrow(/exponent/);
  });

  it('SinhArcsinh: the identity at ε = 0, δ = 1; the log-det matches a finite difference elsewhere', () => {
    const [y, logDet] = new SinhArcsinh().forwardAndLogDet(tf.tensor2d([[-2, 0.3, 5]]));
    values(y).forEach((v, i) => expect(v).toBeCloseTo([-2, 0.3, 5][i], 5));
    expect(values(logDet)[0]).toBeCloseTo(0, 6);
    const bijector = new SinhArcsinh({ skewness: -0.6, tailweight: 0.7 });
    const f = (x: number) => values(bijector.forward(tf.tensor2d([[x]])))[0];
    const x0 = 1.3;
    const h = 1e-2;
    const slope = (f(x0 + h) - f(x0 - h)) / (2 * h);
    expect(values(bijector.forwardAndLogDet(tf.tensor2d([[x0]]))[1])[0]).toBeCloseTo(Math.log(slope), 3);
    expect(() => new SinhArcsinh({ tailweight: -1 })).toThrow(/tailweight must be a finite number > 0/);
  });
});
