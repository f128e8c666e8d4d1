import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON } from '@flows/bijectors';
import { checkBijector } from '@flows/bijectors/testing';
import { describeBijectorConformance } from '@flows/bijectors/testing/vitest';
import { describe, expect, it } from 'vitest';
import { RationalQuadraticSpline, registerSplineBijectors, SplineAutoregressive, SplineCoupling } from './index.js';

registerSplineBijectors();

const wide = (random: { fillUniform(a: Float32Array, l: number, h: number): Float32Array }, shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -4, 4), shape);

describeBijectorConformance('SplineCoupling', () => new SplineCoupling({ mask: [1, 0, 0, 1], bins: 5, bound: 3, hidden: [8], seed: 1 }), {
  sampleInput: wide,
  perturbation: 0.5,
});
describeBijectorConformance('SplineCoupling with context', () => new SplineCoupling({ mask: [0, 1], bins: 4, hidden: [8], contextSize: 3, seed: 2 }), {
  perturbation: 0.5,
});
describeBijectorConformance('SplineAutoregressive', () => new SplineAutoregressive({ size: 3, bins: 6, bound: 2.5, hidden: [10], seed: 3 }), {
  sampleInput: wide,
  perturbation: 0.5,
});

describe('RationalQuadraticSpline', () => {
  const spline = new RationalQuadraticSpline({ bins: 4, bound: 2 });
  const params = (n: number, seed: number) => tf.randomNormal([n, 1, spline.parameterCount], 0, 1.5, 'float32', seed) as tf.Tensor3D;

  it('has 3K − 1 parameters and zero parameters give the identity', () => {
    expect(spline.parameterCount).toBe(11);
    const u = tf.tensor2d([[-1.9], [-0.3], [0], [1.2], [2]]);
    const [v, logDerivative] = spline.forward(u, tf.zeros([5, 1, 11]) as tf.Tensor3D);
    v.dataSync().forEach((value, i) => expect(value).toBeCloseTo(u.dataSync()[i], 5));
    logDerivative.dataSync().forEach((value) => expect(Math.abs(value)).toBeLessThan(1e-5));
  });

  it('is increasing, maps [−B, B] onto itself, and is the identity with log-derivative 0 outside', () => {
    const grid = Array.from({ length: 401 }, (_, i) => -2 + i * 0.01);
    const theta = tf.tile(params(1, 4), [grid.length, 1, 1]) as tf.Tensor3D;
    const [v, logDerivative] = spline.forward(tf.tensor2d(grid, [grid.length, 1]), theta);
    const values = v.dataSync();
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(values[0]).toBeCloseTo(-2, 5);
    expect(values[values.length - 1]).toBeCloseTo(2, 5);
    logDerivative.dataSync().forEach((value) => expect(Number.isFinite(value)).toBe(true));
    const outside = tf.tensor2d([[-1e6], [-2.5], [3], [1e6]]);
    const [out, outLog] = spline.forward(outside, tf.tile(params(1, 5), [4, 1, 1]) as tf.Tensor3D);
    expect(Array.from(out.dataSync())).toEqual(Array.from(outside.dataSync()));
    expect(Array.from(outLog.dataSync(), Math.abs)).toEqual([0, 0, 0, 0]);
    const [back, backLog] = spline.inverse(outside, tf.tile(params(1, 5), [4, 1, 1]) as tf.Tensor3D);
    expect(Array.from(back.dataSync())).toEqual(Array.from(outside.dataSync()));
    expect(Array.from(backLog.dataSync(), Math.abs)).toEqual([0, 0, 0, 0]);
  });

  it('log-derivative matches a central finite difference, and the inverse undoes the forward', () => {
    const u = tf.tensor2d([[-1.7], [-0.2], [0.4], [1.55]]);
    const theta = params(4, 6);
    const h = 1e-3;
    const [vPlus] = spline.forward(tf.add(u, h) as tf.Tensor2D, theta);
    const [vMinus] = spline.forward(tf.sub(u, h) as tf.Tensor2D, theta);
    const [v, logDerivative] = spline.forward(u, theta);
    const slopes = tf.div(tf.sub(vPlus, vMinus), 2 * h).dataSync();
    logDerivative.dataSync().forEach((value, i) => expect(value).toBeCloseTo(Math.log(slopes[i]), 2));
    const [back, inverseLog] = spline.inverse(v, theta);
    back.dataSync().forEach((value, i) => expect(value).toBeCloseTo(u.dataSync()[i], 4));
    inverseLog.dataSync().forEach((value, i) => expect(value).toBeCloseTo(-logDerivative.dataSync()[i], 4));
  });

  it('rejects bad options with a named error', () => {
    expect(() => new RationalQuadraticSpline({ bins: 0 })).toThrow(/bins must be a positive integer/);
    expect(() => new RationalQuadraticSpline({ bound: -1 })).toThrow(/bound must be a positive number/);
  });
});

describe('parameterizations of splines trained elsewhere', () => {
  // K = 4 bins on [−2, 2]: raw widths, heights and interior derivatives, and the values zuko 1.6's
  // MonotonicRQSTransform(bound=2, slope=1e-3) and nflows 0.14's unconstrained_rational_quadratic_spline
  // (min_bin_width 1e-3, min_bin_height 2e-3, min_derivative 1e-3) give for them, in float64.
  const raw = [0.3, -1.2, 2.0, 0.1, -0.5, 0.8, -2.5, 1.4, 0.7, -3.0, 1.9];
  const xs = [-2.5, -1.7, -0.3, 0.0, 0.9, 1.95, 3.1];
  const cases = {
    zuko: {
      spline: new RationalQuadraticSpline({ bins: 4, bound: 2, parameterization: 'zuko', minDerivative: 1e-3 }),
      values: [-2.5, -1.8522907567, -0.1332729601, -0.1323206374, -0.1226419349, 1.942966098, 3.1],
      logDerivatives: [0.0, -1.1623750175, -5.8862132337, -5.5914978549, -3.437067823, 0.248166465, 0.0],
    },
    nflows: {
      spline: new RationalQuadraticSpline({ bins: 4, bound: 2, parameterization: 'nflows', minBinSize: 1e-3, minBinHeight: 2e-3, minDerivative: 1e-3 }),
      values: [-2.5, -1.8117492801, -0.3700187472, -0.3698691398, -0.3686861259, 1.912972832, 3.1],
      logDerivatives: [0.0, -0.653917957, -7.7521648947, -7.4468543424, -5.8045006576, 0.9431349216, 0.0],
    },
  };

  for (const [name, { spline, values, logDerivatives }] of Object.entries(cases)) {
    it(`${name}: the library's own values, and the inverse undoes them`, () => {
      const theta = tf.tile(tf.tensor3d([[raw]]), [xs.length, 1, 1]) as tf.Tensor3D;
      const [v, logDerivative] = spline.forward(tf.tensor2d(xs, [xs.length, 1]), theta);
      v.dataSync().forEach((value, i) => expect(value).toBeCloseTo(values[i], 5));
      logDerivative.dataSync().forEach((value, i) => expect(value).toBeCloseTo(logDerivatives[i], 3));
      const [back] = spline.inverse(v as tf.Tensor2D, theta);
      back.dataSync().forEach((value, i) => expect(value).toBeCloseTo(xs[i], 3));
      expect(new RationalQuadraticSpline(spline.getConfig()).getConfig()).toEqual(spline.getConfig());
    });
  }

  it('saves the default parameterization as before, and refuses floors with zuko', () => {
    expect(new RationalQuadraticSpline().getConfig()).toEqual({ bins: 8, bound: 3, minBinSize: 1e-3, minDerivative: 1e-3 });
    expect(() => new RationalQuadraticSpline({ parameterization: 'zuko', minBinSize: 1e-3 })).toThrow(/no bin floors/);
    expect(() => new RationalQuadraticSpline({ parameterization: 'pyro' as never })).toThrow(/parameterization must be one of flows, nflows, zuko/);
  });
});

describeBijectorConformance(
  'SplineCoupling, zuko parameterization',
  () => new SplineCoupling({ mask: [1, 0, 0], bins: 5, bound: 3, hidden: [8], seed: 11, parameterization: 'zuko' }),
  { sampleInput: wide, perturbation: 0.5 },
);
describeBijectorConformance(
  'SplineAutoregressive, nflows parameterization',
  () => new SplineAutoregressive({ size: 3, bins: 4, bound: 2.5, hidden: [10], seed: 12, parameterization: 'nflows', minBinHeight: 2e-3 }),
  { sampleInput: wide, perturbation: 0.5 },
);

describe('the plugin through the public API', () => {
  it('registers, survives JSON and passes the framework-free checks; huge inputs give no NaN', () => {
    const flow = new SplineCoupling({ mask: [1, 0], bins: 8, bound: 4, hidden: [16], seed: 7 });
    const copy = bijectorFromJSON(flow.toJSON());
    expect(copy).toBeInstanceOf(SplineCoupling);
    expect(copy.toJSON()).toEqual(flow.toJSON());
    expect(() => checkBijector(() => new SplineAutoregressive({ size: 2, bins: 3, hidden: [6], seed: 8 }))).not.toThrow();
    const [y, logDet] = flow.forwardAndLogDet(
      tf.tensor2d([
        [1e30, -1e30],
        [3.9, -3.99],
      ]),
    );
    expect(tf.all(tf.isFinite(y)).dataSync()[0]).toBe(1);
    expect(tf.all(tf.isFinite(logDet)).dataSync()[0]).toBe(1);
  });
});

describe('unknown options', () => {
  // splineFlow moved to @flows/builders, with its own unknown-option tests there (presets.test.ts).
  it('the spline and its layers reject keys they do not know', () => {
    expect(() => new RationalQuadraticSpline({ bin: 8 } as never)).toThrow(/RationalQuadraticSpline: unknown option 'bin' \(did you mean 'bins'\?\)/);
    expect(() => new SplineCoupling({ mask: [1, 0], bins: 4, scale: 1 } as never)).toThrow(/SplineCoupling: unknown option 'scale'/);
    expect(() => new SplineAutoregressive({ size: 2, bins: 4, mask: [1, 0] } as never)).toThrow(/SplineAutoregressive: unknown option 'mask'/);
  });
});
