import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON, type Bijector, MaskedAutoregressive } from '@flows/bijectors';
import { describeBijectorConformance } from '@flows/bijectors/testing/vitest';
import { TransformedDistribution, VonMises } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import {
  CircularRationalQuadraticSpline,
  CircularShift,
  CircularSplineCoupling,
  circularFlow,
  PeriodicMLP,
  registerCircularBijectors,
  wrapAngles,
} from './index.js';

registerCircularBijectors();

const PI = Math.fround(Math.PI);
const angles = (random: { fillUniform(a: Float32Array, l: number, h: number): Float32Array }, shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -Math.PI, Math.PI), shape);
const onTorus = { sampleInput: angles, sampleOutput: angles, perturbation: 0.5 };

describeBijectorConformance('CircularSplineCoupling', () => new CircularSplineCoupling({ mask: [1, 0, 0], bins: 6, hidden: [8], seed: 1 }), onTorus);
describeBijectorConformance(
  'CircularSplineCoupling without the rotation, with a context',
  () => new CircularSplineCoupling({ mask: [0, 1], bins: 4, hidden: [8], contextSize: 2, shift: false, seed: 2 }),
  onTorus,
);
describeBijectorConformance('CircularShift', () => new CircularShift({ size: 3, shift: [0.5, -3, 2.9] }), onTorus);
describeBijectorConformance(
  'MaskedAutoregressive with the circular spline',
  () => new MaskedAutoregressive({ size: 3, transformer: new CircularRationalQuadraticSpline({ bins: 5 }), hidden: [10], seed: 3 }),
  onTorus,
);
describeBijectorConformance('circularFlow (shifts and couplings)', () => circularFlow({ size: 2, layers: 2, bins: 4, hidden: [8], seed: 4 }), {
  ...onTorus,
  serializable: false,
});

/** Random layers with their weights moved off the identity. */
function perturbed<T extends Bijector>(layer: T, seed: number, std = 0.7): T {
  layer.trainableVariables.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, std, 'float32', seed + i)))));
  return layer;
}

describe('the circular spline', () => {
  const spline = new CircularRationalQuadraticSpline({ bins: 5 });
  const params = (rows: number, seed: number) => tf.tile(tf.randomNormal([1, 1, spline.parameterCount], 0, 1.5, 'float32', seed), [rows, 1, 1]) as tf.Tensor3D;

  it('has 3K + 1 parameters (3K without the rotation) and is the identity at zero', () => {
    expect(spline.parameterCount).toBe(16);
    expect(new CircularRationalQuadraticSpline({ bins: 5, shift: false }).parameterCount).toBe(15);
    tf.tidy(() => {
      const u = tf.tensor2d([[-3.1], [-1], [0], [2.5], [3.14]]);
      const [v, log] = spline.forward(u, tf.zeros([5, 1, 16]) as tf.Tensor3D);
      v.dataSync().forEach((value, i) => expect(value).toBeCloseTo(u.dataSync()[i], 5));
      log.dataSync().forEach((value) => expect(Math.abs(value)).toBeLessThan(1e-5));
    });
  });

  it('boundary conditions: without the rotation it fixes ±π, and its derivative at −π equals the one at π', () => {
    const plain = new CircularRationalQuadraticSpline({ bins: 6, shift: false });
    const boundaryLogDerivatives: number[] = [];
    tf.tidy(() => {
      for (const seed of [1, 2, 3]) {
        const theta = tf.tile(tf.randomNormal([1, 1, plain.parameterCount], 0, 1.5, 'float32', seed), [3, 1, 1]) as tf.Tensor3D;
        const [v, log] = plain.forward(tf.tensor2d([[-Math.PI], [-Math.PI + 1e-6], [Math.PI - 1e-6]]), theta);
        const [start, afterStart, beforeEnd] = Array.from(v.dataSync());
        expect(start).toBeCloseTo(-PI, 5);
        expect(afterStart).toBeCloseTo(-PI, 4);
        expect(beforeEnd).toBeCloseTo(PI, 4);
        const [atStart, nearStart, nearEnd] = Array.from(log.dataSync());
        expect(Math.abs(nearStart - atStart)).toBeLessThan(1e-3);
        expect(Math.abs(nearEnd - atStart)).toBeLessThan(1e-3);
        boundaryLogDerivatives.push(atStart);
      }
    });
    // And the boundary derivative is a parameter, not fixed at 1 as in the interval spline.
    expect(Math.max(...boundaryLogDerivatives) - Math.min(...boundaryLogDerivatives)).toBeGreaterThan(0.1);
  });

  it('is a diffeomorphism of the circle: with the rotation, continuous across the cut in value and derivative, and 2π-periodic in its input', () => {
    tf.tidy(() => {
      const theta = params(4, 7);
      const eps = 1e-5;
      const [v, log] = spline.forward(tf.tensor2d([[Math.PI - eps], [-Math.PI + eps], [0.7], [0.7 + 2 * Math.PI]]), theta);
      const [before, after, a, b] = Array.from(v.dataSync());
      // Across the cut the outputs differ by about 2ε g', modulo 2π.
      const jump = tf.tidy(() => wrapAngles(tf.scalar(after - before)).dataSync()[0]);
      const logs = Array.from(log.dataSync());
      expect(Math.abs(jump - 2 * eps * Math.exp(logs[0]))).toBeLessThan(1e-5);
      expect(Math.abs(logs[0] - logs[1])).toBeLessThan(5e-3);
      expect(Math.abs(a - b)).toBeLessThan(1e-5);
      expect(Math.abs(logs[2] - logs[3])).toBeLessThan(1e-4);
    });
  });

  it('maps [−π, π) onto itself both ways, round-trips, and its log-derivative matches central differences', () => {
    tf.tidy(() => {
      const grid = Array.from({ length: 400 }, (_, i) => -Math.PI + (i + 0.5) * ((2 * Math.PI) / 400));
      const theta = params(grid.length, 8);
      const u = tf.tensor2d(grid, [grid.length, 1]);
      const [v, log] = spline.forward(u, theta);
      const [back, inverseLog] = spline.inverse(v, theta);
      for (const t of [v, back]) for (const value of t.dataSync()) expect(value >= -PI && value < PI).toBe(true);
      back.dataSync().forEach((value, i) => expect(Math.abs(value - grid[i])).toBeLessThan(2e-5));
      tf.add(log, inverseLog)
        .dataSync()
        .forEach((value) => expect(Math.abs(value)).toBeLessThan(1e-4));
      const h = 1e-3;
      const [plus] = spline.forward(tf.add(u, h) as tf.Tensor2D, theta);
      const [minus] = spline.forward(tf.sub(u, h) as tf.Tensor2D, theta);
      const slopes = wrapAngles(tf.sub(plus, minus)).dataSync();
      log.dataSync().forEach((value, i) => expect(Math.abs(value - Math.log(slopes[i] / (2 * h)))).toBeLessThan(5e-2));
    });
  });

  it('rejects bad options by name', () => {
    expect(() => new CircularRationalQuadraticSpline({ bins: 1 })).toThrow(/bins must be an integer of at least 2/);
    expect(() => new CircularRationalQuadraticSpline({ minDerivative: 0 })).toThrow(/minDerivative must lie in \(0, 1\)/);
    expect(() => new CircularRationalQuadraticSpline({ bound: 3 } as never)).toThrow(/unknown option 'bound'/);
    expect(() => new CircularSplineCoupling({ mask: [1, 0], bound: 3 } as never)).toThrow(/CircularSplineCoupling: unknown option 'bound'/);
    expect(() => circularFlow({ size: 1 })).toThrow(/size must be an integer of at least 2/);
  });
});

describe('circular layers', () => {
  it('map [−π, π)^D to itself both ways, and their log-det is the log|det| of the autodiff Jacobian (finite)', () => {
    const layers: Bijector[] = [
      perturbed(new CircularSplineCoupling({ mask: [1, 0, 1], bins: 6, hidden: [8], seed: 5 }), 50),
      perturbed(new MaskedAutoregressive({ size: 3, transformer: new CircularRationalQuadraticSpline({ bins: 4 }), hidden: [8], seed: 6 }), 60),
      // Three layers perturbed as hard as one would fold the torus numerically (log-dets of −21 at 0.7).
      perturbed(circularFlow({ size: 3, layers: 3, bins: 4, hidden: [8], seed: 7 }), 70, 0.3),
    ];
    for (const layer of layers) {
      tf.tidy(() => {
        const x = tf.randomUniform([500, 3], -Math.PI, Math.PI, 'float32', 9);
        const y = layer.forward(x);
        const back = layer.inverse(y);
        for (const t of [y, layer.inverse(x)]) for (const value of t.dataSync()) expect(value >= -PI && value < PI).toBe(true);
        // On the circle: the round trip's error is measured modulo 2π.
        expect(tf.max(tf.abs(wrapAngles(tf.sub(back, x)))).dataSync()[0]).toBeLessThan(1e-4);
        const point = tf.tensor2d([[0.4, -2.8, 3.0]]);
        const rows = [0, 1, 2].map((row) =>
          Array.from(
            tf
              .grad((input: tf.Tensor) => tf.sum(tf.slice(layer.uncheckedForwardAndLogDet(input)[0], [0, row], [1, 1])))(point)
              .dataSync(),
          ),
        );
        const det =
          rows[0][0] * (rows[1][1] * rows[2][2] - rows[1][2] * rows[2][1]) -
          rows[0][1] * (rows[1][0] * rows[2][2] - rows[1][2] * rows[2][0]) +
          rows[0][2] * (rows[1][0] * rows[2][1] - rows[1][1] * rows[2][0]);
        const [, logDet] = layer.forwardAndLogDet(point);
        expect(Number.isFinite(Math.log(Math.abs(det)))).toBe(true);
        expect(Math.abs(logDet.dataSync()[0] - Math.log(Math.abs(det)))).toBeLessThan(2e-3);
      });
      layer.dispose();
    }
  });

  it('a flow on the torus with a von Mises base integrates to 1 over [−π, π)² (quadrature)', () => {
    const flow = new TransformedDistribution(
      new VonMises({ size: 2, loc: [1, -2], concentration: [2, 0.5] }),
      // Moved off the identity, but smooth enough for a 100 × 100 midpoint rule.
      perturbed(circularFlow({ size: 2, layers: 2, bins: 6, hidden: [8], seed: 8 }), 80, 0.15),
    );
    const cells = 100;
    const h = (2 * Math.PI) / cells;
    const grid = new Float32Array(2 * cells * cells);
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) grid.set([-Math.PI + (i + 0.5) * h, -Math.PI + (j + 0.5) * h], 2 * (i * cells + j));
    const [mass, spread] = tf.tidy(() => {
      const p = tf.exp(flow.logProb(tf.tensor2d(grid, [cells * cells, 2])));
      return [tf.sum(p).dataSync()[0] * h * h, tf.max(p).dataSync()[0] / tf.min(p).dataSync()[0]];
    });
    expect(Math.abs(mass - 1)).toBeLessThan(2e-3);
    // Not a near-uniform density that would integrate to 1 anyway.
    expect(spread).toBeGreaterThan(5);
    const samples = flow.sample(1000, { random: 3 });
    for (const value of samples.dataSync()) expect(value >= -PI && value < PI).toBe(true);
    samples.dispose();
    flow.dispose();
  });

  it('save and load: the coupling, its spline and its periodic conditioner come back by name', () => {
    const layer = new CircularSplineCoupling({ mask: [1, 0], bins: 4, hidden: [6], contextSize: 1, seed: 9 });
    const copy = bijectorFromJSON(JSON.parse(JSON.stringify(layer.toJSON())));
    expect(copy).toBeInstanceOf(CircularSplineCoupling);
    expect(copy.toJSON()).toEqual(layer.toJSON());
    expect((copy as CircularSplineCoupling).network).toBeInstanceOf(PeriodicMLP);
    copy.dispose();
    layer.dispose();
  });
});
