import { describe, expect, it } from 'vitest';
import { createAdamKernel } from './adam-simd-kernel.js';

describe('Adam SIMD kernel', () => {
  it('assembles, and matches the scalar update', () => {
    const kernel = createAdamKernel(10);
    expect(kernel).not.toBeNull();
    const k = kernel!;
    const p = [0.5, -1, 2, 0.1, 3, -0.2, 0.7, 1.1, -4, 0.05];
    const g = [0.3, -0.1, 0.02, 1.5, -2, 0.4, 0.0, -0.7, 0.9, 0.01];
    k.parameters.set(p);
    k.gradients.set(g);
    const c = { beta1: 0.9, beta2: 0.999, stepSize: 0.01 / (1 - 0.9), inverseCorrection2: 1 / (1 - 0.999), epsilon: 1e-7, decay: 1, scale: 0.5 };
    k.update(10, c);
    p.forEach((value, i) => {
      const gi = g[i] * c.scale;
      const m = (1 - c.beta1) * gi;
      const v = (1 - c.beta2) * gi * gi;
      expect(k.firstMoment[i]).toBeCloseTo(m, 6);
      expect(k.secondMoment[i]).toBeCloseTo(v, 8);
      expect(k.parameters[i]).toBeCloseTo(value - (c.stepSize * m) / (Math.sqrt(v * c.inverseCorrection2) + c.epsilon), 5);
    });
  });
});
