import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, packWeights } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { conditionerFromJSON, conditionerToJSON } from './conditioner-registry.js';
import { MADE } from './made.js';
import { registerBuiltinConditioners } from './register-builtins.js';

registerBuiltinConditioners();

/** Which inputs each output of `made` depends on, read off the gradient at a random point (tanh networks: through a ReLU a path can vanish at one point). */
function dependencies(made: MADE, inputs: number): boolean[][] {
  const x = tf.randomNormal([1, inputs], 0, 1, 'float32', 3);
  return Array.from({ length: made.outputSize }, (_, out) =>
    Array.from(
      tf
        .grad((input: tf.Tensor) => tf.sum(tf.slice(made.apply(input as tf.Tensor2D), [0, out], [1, 1])))(x)
        .dataSync(),
      (g) => g !== 0,
    ),
  );
}

describe('MADE with a context', () => {
  it('every output depends on the context, the first block in the order included, and no block on its own inputs or later ones', () => {
    const order = [3, 1, 4, 2];
    const made = new MADE({ inputSize: 4, outputsPerInput: 2, hidden: [10, 10], activation: 'tanh', order, contextSize: 2, zeroInitLast: false, seed: 7 });
    const seen = dependencies(made, 6);
    for (let out = 0; out < 8; out++) {
      const own = order[Math.floor(out / 2)];
      for (let j = 0; j < 4; j++) expect(seen[out][j], `output ${out}, input ${j}`).toBe(order[j] < own);
      expect(seen[out].slice(4), `output ${out}, context`).toEqual([true, true]);
    }
    expect(made.getConfig()).toMatchObject({ contextOnlyUnits: true });
    made.dispose();
  });

  it('one input: its outputs depend on the context', () => {
    const made = new MADE({ inputSize: 1, outputsPerInput: 2, hidden: [3], activation: 'tanh', contextSize: 1, zeroInitLast: false, seed: 2 });
    expect(dependencies(made, 2)).toEqual([
      [false, true],
      [false, true],
    ]);
    made.dispose();
  });

  it('a config saved before contextOnlyUnits existed rebuilds its masks (the first block ignores the context) and its outputs', async () => {
    const legacy = new MADE({
      inputSize: 3,
      outputsPerInput: 2,
      hidden: [6],
      activation: 'tanh',
      contextSize: 1,
      contextOnlyUnits: false,
      zeroInitLast: false,
      seed: 3,
    });
    const seen = dependencies(legacy, 4);
    for (const out of [0, 1]) expect(seen[out]).toEqual([false, false, false, false]);
    for (let out = 2; out < 6; out++) expect(seen[out][3]).toBe(true);
    // What such a file holds: the config without the key, and the weights trained under those masks.
    const { contextOnlyUnits, ...config } = legacy.getConfig();
    expect(contextOnlyUnits).toBe(false);
    const loaded = conditionerFromJSON({ className: 'MADE', config }) as MADE;
    expect(loaded.contextOnlyUnits).toBe(false);
    const packed = await packWeights(legacy.trainableVariables);
    assignWeights(loaded.trainableVariables, packed.specs, packed.data);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
    expect(Array.from(loaded.apply(x).dataSync())).toEqual(Array.from(legacy.apply(x).dataSync()));
    // A new MADE saves the key, so its file rebuilds the new masks.
    const fresh = new MADE({ inputSize: 3, contextSize: 1, seed: 3 });
    const copy = conditionerFromJSON(conditionerToJSON(fresh)) as MADE;
    expect(copy.contextOnlyUnits).toBe(true);
    expect(copy.getConfig()).toEqual(fresh.getConfig());
    for (const m of [legacy, loaded, fresh, copy]) m.dispose();
  });

  it('without a context the config and the masks are those of before', () => {
    const made = new MADE({ inputSize: 3, hidden: [4], seed: 1 });
    expect(made.getConfig()).not.toHaveProperty('contextOnlyUnits');
    expect(made.contextOnlyUnits).toBe(false);
    made.dispose();
    expect(() => new MADE({ inputSize: 2, contextSize: 1, contextOnlyUnits: 'yes' as never })).toThrow(/contextOnlyUnits must be true or false/);
  });
});

describe('MADE with explicit degrees', () => {
  it('input degrees with ties: an output block sees exactly the inputs of lower degree (and the context)', () => {
    // Two passes, as zuko's passes=2 groups four features: inputs 0 and 2 first, then 1 and 3.
    const inputDegrees = [1, 2, 1, 2];
    const options = {
      inputSize: 4,
      outputsPerInput: 2,
      hidden: [8, 8],
      activation: 'tanh',
      inputDegrees,
      contextSize: 1,
      zeroInitLast: false,
      seed: 5,
    } as const;
    for (const contextOnlyUnits of [true, false]) {
      const made = new MADE({ ...options, inputDegrees: [...inputDegrees], hidden: [8, 8], contextOnlyUnits });
      const seen = dependencies(made, 5);
      for (let out = 0; out < 8; out++) {
        const own = inputDegrees[Math.floor(out / 2)];
        for (let j = 0; j < 4; j++) expect(seen[out][j]).toBe(inputDegrees[j] < own);
        // Without units of degree 0 the cyclic hidden degrees start at 1, so the first pass's outputs see no hidden unit at all.
        expect(seen[out][4]).toBe(contextOnlyUnits || own > 1);
      }
      expect(made.getConfig()).toMatchObject({ inputDegrees });
      expect(made.getConfig()).not.toHaveProperty('order');
      made.dispose();
    }
  });

  it('a hidden unit of degree 0 carries the context to the first pass', () => {
    const made = new MADE({
      inputSize: 2,
      outputsPerInput: 1,
      hidden: [3],
      activation: 'tanh',
      hiddenDegrees: [[0, 1, 1]],
      contextSize: 1,
      zeroInitLast: false,
      seed: 4,
    });
    expect(dependencies(made, 3)).toEqual([
      [false, false, true],
      [true, false, true],
    ]);
    made.dispose();
  });

  it('hidden degrees replace the cyclic assignment, and the config rebuilds the same masks', () => {
    // Hidden units of degree 2 only: output blocks of degree 3 see inputs 0 and 1, the others nothing.
    const made = new MADE({ inputSize: 3, outputsPerInput: 1, hidden: [4], activation: 'tanh', hiddenDegrees: [[2, 2, 2, 2]], zeroInitLast: false, seed: 2 });
    const seen = dependencies(made, 3);
    expect(seen).toEqual([
      [false, false, false],
      [false, false, false],
      [true, true, false],
    ]);
    const copy = MADE.fromConfig(made.getConfig());
    expect(copy.getConfig()).toEqual(made.getConfig());
    expect(copy.hiddenDegrees).toEqual([[2, 2, 2, 2]]);
    made.dispose();
    copy.dispose();
  });

  it('rejects degrees that do not fit, and order together with inputDegrees', () => {
    expect(() => new MADE({ inputSize: 2, inputDegrees: [1, 0] })).toThrow(/inputDegrees must be 2 positive integers/);
    expect(() => new MADE({ inputSize: 2, inputDegrees: [1, 2], order: [1, 2] })).toThrow(/order or inputDegrees, not both/);
    expect(() => new MADE({ inputSize: 2, hidden: [3], hiddenDegrees: [[1, 1]] })).toThrow(/hiddenDegrees must give one non-negative integer per hidden unit/);
  });
});
