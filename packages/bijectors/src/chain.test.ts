import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { Chain } from './chain.js';
import { ElementwiseScale } from './elementwise-scale.js';
import { MaskedAffineCoupling } from './masked-affine-coupling.js';
import { Permute } from './permute.js';

const twoLayers = () =>
  new Chain([
    new MaskedAffineCoupling({ mask: [1, 0, 1, 0], hidden: [8], seed: 1 }),
    new Permute({ size: 4, seed: 2 }),
    new MaskedAffineCoupling({ mask: [0, 1, 0, 1], hidden: [8], seed: 3 }),
    new ElementwiseScale({ size: 4 }),
  ]);

describe('Chain', () => {
  it('applies in list order', () => {
    const scale = new ElementwiseScale({ size: 2, logScale: [Math.log(2), Math.log(2)] });
    const permute = new Permute({ order: [1, 0] });
    const shift = new MaskedAffineCoupling({ mask: [1, 0], scale: (u) => tf.zerosLike(u), translation: (u) => tf.onesLike(u), scaleTanh: false });
    // Permute first, then scale, then add 1 to coordinate 1: (1, 5) → (5, 1) → (10, 2) → (10, 3).
    const chain = new Chain([permute, scale, shift]);
    const [y, logDet] = chain.forwardAndLogDet(tf.tensor2d([[1, 5]]));
    expect(Array.from(y.dataSync())).toEqual([10, 3]);
    expect(logDet.dataSync()[0]).toBeCloseTo(2 * Math.log(2), 6);
    const x = chain.inverse(y);
    expect(Array.from(x.dataSync()).map((v) => +v.toFixed(5))).toEqual([1, 5]);
    tf.dispose([x, y, logDet]);
  });

  it('flattens nested chains and indexes members', () => {
    const a = new Permute({ order: [1, 0] });
    const b = new ElementwiseScale({ size: 2 });
    const c = new Permute({ order: [0, 1] });
    const chain = new Chain([a, new Chain([b, c])]);
    expect(chain.length).toBe(3);
    expect(chain.get(1)).toBe(b);
    expect(chain.get(-1)).toBe(c);
    expect(() => chain.get(3)).toThrow(RangeError);
  });

  it('rejects members of different event sizes', () => {
    expect(() => new Chain([new Permute({ size: 2 }), new Permute({ size: 3 })])).toThrow(/disagree on the event shape/);
  });

  it('round-trips through JSON with the same structure', () => {
    const chain = twoLayers();
    const copy = bijectorFromJSON(JSON.parse(JSON.stringify(chain.toJSON()))) as Chain;
    expect(copy.className).toBe('Chain');
    expect(copy.bijectors.map((b) => b.className)).toEqual(['MaskedAffineCoupling', 'Permute', 'MaskedAffineCoupling', 'ElementwiseScale']);
    expect(copy.variables.map((v) => v.shape)).toEqual(chain.variables.map((v) => v.shape));
    expect((copy.get(1) as Permute).order).toEqual((chain.get(1) as Permute).order);
  });
});
