import { Random } from '@flows/core';
import type { Chain, MaskedAffineCoupling } from '@flows/bijectors';
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maf, nice, realNVP } from './flow-builders.js';
import { layerMask } from './layer-masks.js';
import { multiScaleFlow } from './multi-scale-flow.js';

describe('builders', () => {
  it('realNVP: layers with flipped, alternating, random or checkerboard masks', () => {
    const masks = (mask: 'half' | 'alternating' | 'random' | 'checkerboard', size = 4) =>
      ((realNVP({ size, layers: 3, hidden: [4], mask, seed: 1 }).bijector as Chain).bijectors as MaskedAffineCoupling[]).map((b) => b.mask);
    expect(masks('half')).toEqual([
      [1, 1, 0, 0],
      [0, 0, 1, 1],
      [1, 1, 0, 0],
    ]);
    expect(masks('alternating')).toEqual([
      [1, 0, 1, 0],
      [0, 1, 0, 1],
      [1, 0, 1, 0],
    ]);
    expect(masks('checkerboard')).toEqual([
      [1, 0, 0, 1],
      [0, 1, 1, 0],
      [1, 0, 0, 1],
    ]);
    const random = masks('random', 10);
    expect(new Set(random.map((m) => m.join(''))).size).toBe(3);
    random.forEach((m) => expect(m.reduce((a, b) => a + b, 0)).toBe(5));
    expect(masks('random', 10)).toEqual(random);
  });

  it('checks its options', () => {
    expect(() => realNVP({ size: 1 })).toThrow(/size \(the event size D\) must be an integer >= 2/);
    expect(() => realNVP({ size: 2, conditioner: [8] } as never)).toThrow("realNVP: unknown option 'conditioner'; valid options: size, dims, layers, hidden");
    expect(() => maf({ size: 2, mask: 'half' } as never)).toThrow(/maf: unknown option 'mask'/);
    expect(() => multiScaleFlow({ shape: [4, 4, 1], level: 1 } as never)).toThrow(/unknown option 'level' \(did you mean 'levels'\?\)/);
    expect(() => realNVP({ size: 4, layers: 0 })).toThrow(/layers/);
    expect(() => realNVP({ size: 4, mask: 'diagonal' as never })).toThrow(/unknown mask 'diagonal'/);
    expect(() => layerMask('checkerboard', 7, 0, new Random(0))).toThrow(/not a square/);
  });

  it('accepts dims, the old name of size, for one more release with a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const old = realNVP({ dims: 3, layers: 2, hidden: [4], seed: 2 });
    const renamed = realNVP({ size: 3, layers: 2, hidden: [4], seed: 2 });
    expect(old.eventShape).toEqual([3]);
    expect(JSON.stringify(old.toJSON())).toBe(JSON.stringify(renamed.toJSON()));
    expect(warn.mock.calls.some(([message]) => /'dims' is deprecated .* use 'size'/.test(String(message)))).toBe(true);
    expect(() => realNVP({ dims: 3, size: 4 })).toThrow(/give only 'size'/);
    warn.mockRestore();
    old.dispose();
    renamed.dispose();
  });

  it('a builder that rejects its options leaks nothing, whichever layer fails', () => {
    const before = tf.memory().numTensors;
    expect(() => realNVP({ size: 2, hidden: [0] })).toThrow(/hidden\[0\] must be a positive integer/);
    expect(() => nice({ size: 4, hidden: [0] })).toThrow(/hidden\[0\]/);
    expect(() => realNVP({ size: 2, layers: 3, hidden: [4], activation: 'nope' as never })).toThrow(/unknown activation/);
    // A later layer failing: the masks of the checkerboard do not fit layer 0 … (a 3-pixel image is not square).
    expect(() => realNVP({ size: 3, layers: 2, mask: 'checkerboard' })).toThrow(/not a square/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a disposed flow says so instead of a TypeError from TensorFlow.js; sample names a non-number count', () => {
    const flow = realNVP({ size: 2, layers: 1, hidden: [4] });
    expect(() => flow.sample('3' as never)).toThrow(/n must be a positive integer, got the string "3"/);
    flow.dispose();
    const x = tf.zeros([1, 2]);
    expect(() => flow.logProb(x)).toThrow(/TransformedDistribution\.logProb: this TransformedDistribution has been disposed/);
    expect(() => flow.sample(3)).toThrow(/has been disposed/);
    x.dispose();
  });

  it('nice ends in a diagonal rescaling', () => {
    const flow = nice({ size: 4, layers: 4, hidden: [4] });
    expect((flow.bijector as Chain).bijectors.map((b) => b.className)).toEqual([
      'AdditiveCoupling',
      'AdditiveCoupling',
      'AdditiveCoupling',
      'AdditiveCoupling',
      'ElementwiseScale',
    ]);
  });
});
