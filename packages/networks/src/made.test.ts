import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MADE } from './made.js';

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

describe('MADE with explicit degrees', () => {
  it('input degrees with ties: an output block sees exactly the inputs of lower degree (and the context)', () => {
    // Two passes, as zuko's passes=2 groups four features: inputs 0 and 2 first, then 1 and 3.
    const inputDegrees = [1, 2, 1, 2];
    const made = new MADE({ inputSize: 4, outputsPerInput: 2, hidden: [8, 8], activation: 'tanh', inputDegrees, contextSize: 1, zeroInitLast: false, seed: 5 });
    const seen = dependencies(made, 5);
    for (let out = 0; out < 8; out++) {
      const own = inputDegrees[Math.floor(out / 2)];
      for (let j = 0; j < 4; j++) expect(seen[out][j]).toBe(inputDegrees[j] < own);
      // The cyclic hidden degrees start at 1, so the first pass's outputs see no hidden unit at all.
      expect(seen[out][4]).toBe(own > 1);
    }
    expect(made.getConfig()).toMatchObject({ inputDegrees });
    expect(made.getConfig()).not.toHaveProperty('order');
    made.dispose();
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
