import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { distributionFromJSON, logBesselI0, logBesselI0Value, sampleVonMises, scaledBesselI, VonMises, wrapAngle } from './index.js';

/** ∫_{−π}^{π} e^{κ cos x} dx by the midpoint rule (spectrally accurate for a periodic integrand), in float64. */
function circleIntegral(kappa: number, points = 20000): number {
  let sum = 0;
  for (let i = 0; i < points; i++) sum += Math.exp(kappa * (Math.cos(-Math.PI + ((i + 0.5) * 2 * Math.PI) / points) - 1));
  return (sum * 2 * Math.PI) / points;
}

describe('log I₀', () => {
  it('float64: equals the log of the circle integral 2π I₀(κ) from κ = 1e-6 to 1e5 (no overflow: e^κ is never formed)', () => {
    for (const kappa of [1e-6, 0.3, 3.75, 10, 19.99, 20, 50, 700, 1e5]) {
      const fromIntegral = kappa + Math.log(circleIntegral(kappa) / (2 * Math.PI));
      expect(Math.abs(logBesselI0Value(kappa) - fromIntegral)).toBeLessThan(1e-10 * (1 + kappa));
    }
    // I₁ = I₀' on both sides of the switch from series to expansion (κ = 20), and I₁(1) = 0.5651591039924851.
    expect(scaledBesselI(1, 1) * Math.E).toBeCloseTo(0.5651591039924851, 14);
    for (const kappa of [10, 19.9, 20.1, 35]) {
      const h = 1e-4;
      const derivative = (scaledBesselI(0, kappa + h) * Math.exp(h) - scaledBesselI(0, kappa - h) * Math.exp(-h)) / (2 * h);
      expect(Math.abs(derivative / scaledBesselI(1, kappa) - 1)).toBeLessThan(1e-7);
    }
  });

  it('tensors: within 3e-7 relative of float64 for κ up to 1e6, with finite gradients I₁/I₀', () => {
    const kappas = [0, 1e-4, 0.5, 3.7, 3.75, 3.8, 12, 88, 89, 200, 1e4, 1e6];
    const values = tf.tidy(() => Array.from(logBesselI0(tf.tensor1d(kappas)).dataSync()));
    values.forEach((value, i) => expect(Math.abs(value - logBesselI0Value(kappas[i]))).toBeLessThan(3e-7 * (1 + logBesselI0Value(kappas[i]))));
    const gradients = tf.tidy(() =>
      Array.from(
        tf
          .grad((k: tf.Tensor) => tf.sum(logBesselI0(k)))(tf.tensor1d(kappas.slice(1)))
          .dataSync(),
      ),
    );
    gradients.forEach((g, i) => {
      const kappa = kappas[i + 1];
      expect(Math.abs(g - scaledBesselI(1, kappa) / scaledBesselI(0, kappa))).toBeLessThan(2e-4);
    });
  });
});

describe('VonMises', () => {
  it('integrates to 1 over the circle by quadrature, for small, moderate and large κ, and is 2π-periodic', () => {
    for (const kappa of [0.01, 1, 40, 2000]) {
      const vm = new VonMises({ size: 1, loc: [2.9], concentration: [kappa] });
      const points = 40000;
      const grid = Float32Array.from({ length: points }, (_, i) => -Math.PI + ((i + 0.5) * 2 * Math.PI) / points);
      const mass = tf.tidy(() => tf.sum(tf.exp(vm.logProb(tf.tensor2d(grid, [points, 1])))).dataSync()[0] * ((2 * Math.PI) / points));
      expect(Math.abs(mass - 1)).toBeLessThan(1e-4);
      const [a, b] = tf.tidy(() => Array.from(vm.logProb(tf.tensor2d([[0.4], [0.4 + 2 * Math.PI]])).dataSync()));
      expect(Math.abs(a - b)).toBeLessThan(1e-4 * (1 + Math.abs(a)));
      vm.dispose();
    }
  });

  it('samples in [−π, π) whose circular mean is μ and whose mean resultant length is I₁(κ)/I₀(κ), wrapping across ±π', () => {
    for (const [mu, kappa] of [
      [3.0, 4],
      [-1, 0.3],
      [0.5, 5000],
    ]) {
      const vm = new VonMises({ size: 1, loc: [mu], concentration: [kappa] });
      const n = 40000;
      const samples = vm.sample(n, { random: 3 });
      const values = samples.dataSync();
      samples.dispose();
      let c = 0;
      let s = 0;
      for (const x of values) {
        expect(x).toBeGreaterThanOrEqual(-Math.fround(Math.PI));
        expect(x).toBeLessThan(Math.fround(Math.PI));
        c += Math.cos(x) / n;
        s += Math.sin(x) / n;
      }
      const length = Math.hypot(c, s);
      const expected = scaledBesselI(1, kappa) / scaledBesselI(0, kappa);
      expect(Math.abs(length - expected)).toBeLessThan(5 / Math.sqrt(n));
      if (expected > 0.2) expect(Math.abs(wrapAngle(Math.atan2(s, c) - mu))).toBeLessThan(5 / Math.sqrt(n * expected * kappa) + 1e-3);
      vm.dispose();
    }
    // The sampler's guards: uniform for κ → 0, the wrapped normal for huge κ.
    const random = new Random(4);
    expect(Math.abs(sampleVonMises(random, 1, 1e9) - 1)).toBeLessThan(1e-3);
    expect(Math.abs(sampleVonMises(random, 0, 1e-12))).toBeLessThan(Math.PI);
  });

  it('has the closed-form entropy (against −mean log p), cools with the temperature, and survives saving', () => {
    const vm = new VonMises({ size: 2, loc: [0, 1], concentration: [0.5, 20] });
    const x = vm.sample(50000, { random: 5 });
    const monteCarlo = tf.tidy(() => -tf.mean(vm.logProb(x)).dataSync()[0]);
    expect(Math.abs(monteCarlo - vm.entropy())).toBeLessThan(0.02);
    const cool = vm.sample(20000, { random: 6, temperature: 0.5 });
    const spread = (t: tf.Tensor) => tf.tidy(() => 1 - tf.mean(tf.cos(tf.sub(tf.slice(t, [0, 1], [-1, 1]), 1))).dataSync()[0]);
    // 1 − E cos(x − μ) is about 1/(2κ): a quarter of it at κ/T² with T = 1/2.
    expect(spread(cool) / spread(x)).toBeCloseTo(0.25, 1);
    const copy = distributionFromJSON(JSON.parse(JSON.stringify(vm.toJSON())));
    expect(copy).toBeInstanceOf(VonMises);
    tf.dispose([x, cool]);
    copy.dispose();
    vm.dispose();
  });

  it('rejects bad options with their names', () => {
    expect(() => new VonMises({ size: 2, concentration: [1, 0] })).toThrow(/concentration\[1\] must be a positive finite number/);
    expect(() => new VonMises({ size: 2, loc: [1] })).toThrow(/loc must have 2 values/);
    expect(() => new VonMises({ size: 0 })).toThrow(/size must be a positive integer/);
    expect(() => new VonMises({ size: 1, kappa: [1] } as never)).toThrow(/VonMises: unknown option 'kappa'/);
  });
});
