import { Chain, MaskedAffineCoupling, Random } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import { layerMask, nice, realNVP } from './builders.js';

describe('builders', () => {
  it('realNVP: layers with flipped, alternating, random or checkerboard masks', () => {
    const masks = (mask: 'half' | 'alternating' | 'random' | 'checkerboard', dims = 4) =>
      ((realNVP({ dims, layers: 3, hidden: [4], mask, seed: 1 }).bijector as Chain).bijectors as MaskedAffineCoupling[]).map((b) => b.mask);
    expect(masks('half')).toEqual([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 0, 0]]);
    expect(masks('alternating')).toEqual([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]);
    expect(masks('checkerboard')).toEqual([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 1]]);
    const random = masks('random', 10);
    expect(new Set(random.map((m) => m.join(''))).size).toBe(3);
    random.forEach((m) => expect(m.reduce((a, b) => a + b, 0)).toBe(5));
    expect(masks('random', 10)).toEqual(random);
  });

  it('checks its options', () => {
    expect(() => realNVP({ dims: 1 })).toThrow(/dims must be an integer >= 2/);
    expect(() => realNVP({ dims: 4, layers: 0 })).toThrow(/layers/);
    expect(() => realNVP({ dims: 4, mask: 'diagonal' as never })).toThrow(/unknown mask 'diagonal'/);
    expect(() => layerMask('checkerboard', 7, 0, new Random(0))).toThrow(/not a square/);
  });

  it('nice ends in a diagonal rescaling', () => {
    const flow = nice({ dims: 4, layers: 4, hidden: [4] });
    expect((flow.bijector as Chain).bijectors.map((b) => b.className)).toEqual(['AdditiveCoupling', 'AdditiveCoupling', 'AdditiveCoupling', 'AdditiveCoupling', 'ElementwiseScale']);
  });
});
