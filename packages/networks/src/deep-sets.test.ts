import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, packWeights } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { conditionerFromJSON, conditionerToJSON } from './conditioner-registry.js';
import { DeepSets } from './deep-sets.js';
import { registerBuiltinConditioners } from './register-builtins.js';

registerBuiltinConditioners();

describe('DeepSets', () => {
  it('is invariant to the order of the elements of a set, and not to their values', () => {
    const net = new DeepSets({ setSize: 5, elementSize: 3, outputSize: 4, elementHidden: [8], featureSize: 6, hidden: [8], seed: 2 });
    const sets = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const shuffled = tf.gather(sets, [4, 2, 0, 3, 1], 1) as tf.Tensor3D;
    const a = net.apply(sets).arraySync();
    const b = net.apply(shuffled).arraySync();
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) expect(b[i][j]).toBeCloseTo(a[i][j], 5);
    const other = net.apply(tf.add(sets, 0.5)).arraySync();
    expect(Math.abs(other[0][0] - a[0][0])).toBeGreaterThan(1e-4);
    tf.dispose([sets, shuffled]);
    net.dispose();
  });

  it('reads flat rows as sets, sum pooling grows with repeated elements where mean pooling does not', () => {
    for (const pooling of ['mean', 'sum'] as const) {
      const net = new DeepSets({ setSize: 2, elementSize: 2, outputSize: 3, elementHidden: [], featureSize: 4, hidden: [], pooling, seed: 3 });
      const one = new DeepSets({ setSize: 1, elementSize: 2, outputSize: 3, elementHidden: [], featureSize: 4, hidden: [], pooling, seed: 3 });
      const twice = net.apply(tf.tensor2d([[0.3, -0.2, 0.3, -0.2]])).arraySync()[0];
      const flatAndShaped = net
        .apply(
          tf.tensor3d([
            [
              [0.3, -0.2],
              [0.3, -0.2],
            ],
          ]),
        )
        .arraySync()[0];
      const single = one.apply(tf.tensor2d([[0.3, -0.2]])).arraySync()[0];
      expect(flatAndShaped).toEqual(twice);
      // Both share φ's and ρ's initial weights (same seed); ρ is affine here, so the sum doubles ρ's linear part.
      if (pooling === 'mean') for (let j = 0; j < 3; j++) expect(twice[j]).toBeCloseTo(single[j], 5);
      else expect(twice.some((v, j) => Math.abs(v - single[j]) > 1e-4)).toBe(true);
      net.dispose();
      one.dispose();
    }
  });

  it('saves and loads through the conditioner registry, and refuses rows of the wrong size and unknown options', async () => {
    const net = new DeepSets({ setSize: 3, elementSize: 2, outputSize: 2, seed: 5 });
    tf.tidy(() => net.trainableVariables[0].assign(tf.add(net.trainableVariables[0], 0.1)));
    const rebuilt = conditionerFromJSON(JSON.parse(JSON.stringify(conditionerToJSON(net)))) as DeepSets;
    expect(rebuilt).toBeInstanceOf(DeepSets);
    const { specs, data } = await packWeights(net.trainableVariables);
    assignWeights(rebuilt.trainableVariables, specs, data);
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
    expect(rebuilt.apply(x).arraySync()).toEqual(net.apply(x).arraySync());
    expect(() => net.apply(tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(/3 elements of 2 values/);
    expect(() => new DeepSets({ setSize: 3, elementSize: 2, outputSize: 2, pooling: 'max' as 'mean' })).toThrow(/pooling/);
    expect(() => new DeepSets({ setSize: 3, elementSize: 2, outputSize: 2, size: 3 } as never)).toThrow(/size/);
    net.dispose();
    rebuilt.dispose();
  });
});
