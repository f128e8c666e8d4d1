import { describe, expect, it } from 'vitest';
import { seededUniform as generator } from './test-random.js';
import { popScaled, pushScaled, type ScaledKernel } from './scaled-coding.js';
import { standardNormalCdf } from './quantized-distribution.js';
import { RansError, RansStack } from './rans.js';

/** A draw of the kernel, rounded to the integers. */
function draw(kernel: ScaledKernel, mean: number, scale: number, random: () => number): number {
  const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
  const v = random();
  const noise = kernel === 'logistic' ? Math.log(u / (1 - u)) : Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.round(mean + scale * noise) || 0;
}

/** −log₂ of the kernel's mass on [v − ½, v + ½). */
function idealBits(kernel: ScaledKernel, value: number, mean: number, scale: number): number {
  const cdf = (t: number) => (kernel === 'logistic' ? 1 / (1 + Math.exp(-t)) : standardNormalCdf(t));
  return -Math.log2(cdf((value + 0.5 - mean) / scale) - cdf((value - 0.5 - mean) / scale));
}

describe('integers under a scaled kernel (pushScaled, popScaled)', () => {
  it.each(['logistic', 'gaussian'] as const)(
    '%s: round-trip exactly from a scale of one bin to 2^20 bins (coarse bin and low bits), far outliers included, at the kernel’s own cost to within 1 %%',
    (kernel) => {
      const random = generator(kernel === 'logistic' ? 3 : 4);
      const cases = Array.from({ length: 20_000 }, (_, k) => {
        const mean = (random() - 0.5) * 2 ** 22;
        const scale = 2 ** (20 * random());
        const value = k % 1000 === 0 ? Math.round(mean + (random() < 0.5 ? -1 : 1) * scale * 60) : draw(kernel, mean, scale, random);
        return { mean, scale, value };
      });
      const stack = new RansStack();
      let ideal = 0;
      for (const { mean, scale, value } of cases) {
        pushScaled(stack, value, mean, scale, kernel);
        ideal += Math.min(idealBits(kernel, value, mean, scale), 60);
      }
      // The 20 outliers cost their end bin and an Elias gamma excess: at most about 16 + 2·log₂(60·2^20) bits each.
      expect(stack.lengthInBits).toBeLessThan(ideal * 1.01 + 20 * 70 + 96);
      for (let k = cases.length - 1; k >= 0; k--) expect(popScaled(stack, cases[k].mean, cases[k].scale, kernel)).toBe(cases[k].value);
      expect(stack.isEmpty).toBe(true);
    },
  );

  it("with tails 'window', a pop stays in the window whatever the bits, and a push outside it is refused", () => {
    const random = generator(5);
    const words = Array.from({ length: 4000 }, () => Math.floor(random() * 2 ** 32));
    words[words.length - 2] = (words[words.length - 2] | 1) >>> 0;
    const stack = new RansStack(words);
    for (let k = 0; k < 2000; k++) {
      const value = popScaled(stack, 100.3, 2, 'logistic', 'window');
      expect(Math.abs(value - 100)).toBeLessThanOrEqual(13 * 2 + 3);
    }
    expect(() => pushScaled(new RansStack(), 1000, 0, 2, 'logistic', 'window')).toThrow(RansError);
    expect(() => pushScaled(new RansStack(), 0, 0, 0, 'logistic')).toThrow(/positive scale/);
  });
});
