import { Random } from '@flows/core';
import type { Chain, MaskedAffineCoupling } from '@flows/bijectors';
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { couplingFlow } from './coupling-flow.js';
import { maf, nice, realNVP, splineFlow } from './presets.js';
import { layerMask } from './layer-masks.js';
import { integerDiscreteFlow } from './integer-discrete-flow.js';
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
    expect(() => realNVP({ size: 2, conditioner: [8] } as never)).toThrow("realNVP: unknown option 'conditioner'; valid options: size, layers, hidden");
    expect(() => maf({ size: 2, mask: 'half' } as never)).toThrow(/maf: unknown option 'mask'/);
    expect(() => splineFlow({ size: 2, mask: 'alternating' } as never)).toThrow(/splineFlow: unknown option 'mask'/);
    expect(() => realNVP({ size: 2, transformer: 'spline' } as never)).toThrow(/realNVP: unknown option 'transformer'/);
    expect(() => multiScaleFlow({ shape: [4, 4, 1], level: 1 } as never)).toThrow(/unknown option 'level' \(did you mean 'levels'\?\)/);
    expect(() => realNVP({ size: 4, layers: 0 })).toThrow(/layers/);
    expect(() => realNVP({ size: 4, mask: 'diagonal' as never })).toThrow(/unknown mask 'diagonal'/);
    expect(() => layerMask('checkerboard', 7, 0, new Random(0))).toThrow(/not a square/);
  });

  it('refuses dims, the old name of size (0.1.0 was never published, so it has no deprecation period)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(() => realNVP({ dims: 3, layers: 2, hidden: [4], seed: 2 } as never)).toThrow(/realNVP: unknown option 'dims'; valid options: size, /);
    expect(() => nice({ dims: 3 } as never)).toThrow(/nice: unknown option 'dims'/);
    expect(() => maf({ dims: 3 } as never)).toThrow(/maf: unknown option 'dims'/);
    expect(() => splineFlow({ dims: 2, layers: 1, bins: 4, hidden: [4] } as never)).toThrow(/splineFlow: unknown option 'dims'/);
    expect(() => couplingFlow({ dims: 3 } as never)).toThrow(/couplingFlow: unknown option 'dims'/);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
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

describe('the image and integer builders take a base', () => {
  it('multiScaleFlow: a base of the base side’s shape, refused with both shapes otherwise', async () => {
    const { DiagonalNormal } = await import('@flows/distributions');
    const before = tf.memory().numTensors;
    const plain = multiScaleFlow({ shape: [4, 4, 1], levels: 2, stepsPerLevel: 1, hidden: [4] });
    const shape = [...plain.base.eventShape];
    plain.dispose();
    const base = new DiagonalNormal({ eventShape: shape });
    const flow = multiScaleFlow({ shape: [4, 4, 1], levels: 2, stepsPerLevel: 1, hidden: [4], base });
    expect(flow.base).toBe(base);
    flow.dispose();
    const wrong = new DiagonalNormal({ eventShape: [4, 4, 1] });
    expect(() => multiScaleFlow({ shape: [4, 4, 1], levels: 2, stepsPerLevel: 1, hidden: [4], base: wrong })).toThrow(
      /multiScaleFlow: the base has events of shape \[4, 4, 1\]; this flow's base side has \[16\]/,
    );
    wrong.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('integerDiscreteFlow: the last level’s base, of that level’s size', async () => {
    const { DiscretizedLogistic } = await import('@flows/distributions');
    const base = new DiscretizedLogistic({ size: 3, loc: [0, 0, 0], logScale: [1, 1, 1] });
    const flow = integerDiscreteFlow({ size: 10, levels: 3, layers: 1, hidden: [4], priorHidden: [4], base });
    const x = tf.tensor2d([[3, -1, 0, 2, 5, 1, -4, 0, 2, 1]]);
    expect(Number.isFinite((await flow.logProb(x).data())[0])).toBe(true);
    x.dispose();
    flow.dispose();
    expect(base.isDisposed).toBe(true);
    const other = new DiscretizedLogistic({ size: 5, loc: new Array(5).fill(0), logScale: new Array(5).fill(1) });
    expect(() => integerDiscreteFlow({ size: 10, levels: 3, base: other })).toThrow(/the base has events of shape \[5\]; the last level's are \[3\]/);
    expect(() => integerDiscreteFlow({ size: 5, base: other, baseLocation: 2 })).toThrow(/baseLocation sets the default base; give it or base, not both/);
    other.dispose();
  });
});
