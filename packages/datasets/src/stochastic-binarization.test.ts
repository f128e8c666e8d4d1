import { describe, expect, it } from 'vitest';
import { binarizedSplit, stochasticallyBinarized } from './stochastic-binarization.js';

describe('stochasticallyBinarized', () => {
  it('draws 255 with probability v/255, keeps 0 and 255, and repeats for a seed', () => {
    const levels = [0, 1, 64, 128, 200, 254, 255];
    const copies = 20000;
    const pixels = new Uint8Array(levels.length * copies);
    levels.forEach((level, k) => pixels.fill(level, k * copies, (k + 1) * copies));
    const out = stochasticallyBinarized(pixels, 3);
    expect(out.every((value) => value === 0 || value === 255)).toBe(true);
    levels.forEach((level, k) => {
      const ones = out.subarray(k * copies, (k + 1) * copies).reduce((sum, value) => sum + (value === 255 ? 1 : 0), 0);
      const p = level / 255;
      // Within 5 standard errors of the binomial mean (exact at 0 and 255).
      expect(Math.abs(ones / copies - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / copies) + 1e-12);
    });
    expect(out).toEqual(stochasticallyBinarized(pixels, 3));
    expect(out).not.toEqual(stochasticallyBinarized(pixels, 4));
  });

  it('binarizedSplit leaves threshold alone and says where stochastic images came from', () => {
    const split = {
      split: 'test' as const,
      images: new Uint8Array([0, 100, 255, 30]),
      labels: new Uint8Array([1]),
      count: 1,
      rows: 2,
      cols: 2,
      source: 'here',
    };
    expect(binarizedSplit(split, 'threshold', 0)).toBe(split);
    const stochastic = binarizedSplit(split, 'stochastic', 0);
    expect(stochastic.source).toBe('here, stochastically binarized (seed 0)');
    expect(stochastic.labels).toBe(split.labels);
    expect(Array.from(stochastic.images.filter((_, i) => i === 0 || i === 2))).toEqual([0, 255]);
  });
});
