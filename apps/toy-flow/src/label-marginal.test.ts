import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { Distribution } from '@flows/distributions';
import { realNVP, selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabelMarginal, oneHotLabels } from './label-marginal.js';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('LabelMarginal, the picture of a conditional toy model', () => {
  it('is a Distribution: log Σ_k w_k p(x | k), and samples drawn label by label with the weights', async () => {
    const model = realNVP({ size: 2, layers: 2, hidden: [8], contextSize: 2, seed: 4 });
    model.trainableVariables.forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', i)));
    const weights = [0.3, 0.7];
    const marginal = new LabelMarginal(model, weights);
    expect(marginal).toBeInstanceOf(Distribution);
    expect(marginal.eventShape).toEqual([2]);
    const x = tf.tensor2d([
      [0.1, -0.4],
      [1.5, 0.2],
    ]);
    const expected = tf.tidy(() => {
      const each = weights.map((w, k) => tf.mul(tf.exp(model.logProb(x, tf.tile(oneHotLabels(Int32Array.of(k), 2), [2, 1]))), w));
      return tf.log(tf.addN(each));
    });
    const got = marginal.logProb(x);
    (await got.data()).forEach((v, i) => expect(v).toBeCloseTo(expected.dataSync()[i], 5));
    // The same draws as picking each label with the weights, then sampling x given it, from one generator.
    const random = new Random(9);
    const labels = Int32Array.from({ length: 5 }, () => (random.uniform() < weights[0] ? 0 : 1));
    const context = oneHotLabels(labels, 2);
    const byHand = model.sample(5, { random, context });
    const sampled = marginal.sample(5, { random: 9 });
    expect(Array.from(await sampled.data())).toEqual(Array.from(await byHand.data()));
    expect(() => marginal.toJSON()).toThrow(/save the model itself/);
    expect(() => new LabelMarginal(model, [1])).toThrow(/context of width 2, but 1 weights/);
    tf.dispose([x, expected, got, context, byHand, sampled]);
    model.dispose();
  });
});
