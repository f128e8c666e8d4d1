import * as tf from '@tensorflow/tfjs-core';
import { MaskedAffineCoupling } from '@flows/bijectors';
import { Random } from '@flows/core';
import { DeepSets, ImageEmbedding, MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { EmbeddedContext, StandardNormal, TransformedDistribution, standardNormalTensor } from './index.js';

/** A conditional coupling flow on 2-D events whose conditioner reads `width` context values, its last layer random so the context matters. */
function conditionalFlow(width: number): TransformedDistribution {
  const coupling = new MaskedAffineCoupling({ mask: [1, 0], hidden: [8], contextSize: width, seed: 3 });
  for (const variable of coupling.trainableVariables) tf.tidy(() => variable.assign(tf.randomUniform(variable.shape, -0.4, 0.4, 'float32', 11)));
  return new TransformedDistribution(new StandardNormal([2]), coupling);
}

describe('EmbeddedContext', () => {
  it('samples 10 000 rows, each under its own context, in one batched pass that agrees with row-by-row computation', () => {
    const embedding = new DeepSets({ setSize: 3, elementSize: 2, outputSize: 4, elementHidden: [8], featureSize: 6, hidden: [8], seed: 1 });
    const flow = conditionalFlow(4);
    const model = new EmbeddedContext(flow, embedding);
    const n = 10_000;
    const contexts = tf.randomNormal([n, 3, 2], 0, 1, 'float32', 5);
    const apply = embedding.apply.bind(embedding);
    let calls = 0;
    let rowsEmbedded = 0;
    embedding.apply = (input) => {
      calls++;
      rowsEmbedded += input.shape[0];
      return apply(input);
    };
    const forward = flow.bijector.uncheckedForwardAndLogDet.bind(flow.bijector);
    let passes = 0;
    flow.bijector.uncheckedForwardAndLogDet = (z, context) => {
      passes++;
      return forward(z, context);
    };
    const before = tf.memory().numTensors;
    const samples = model.sample(n, { context: contexts, random: 42 });
    expect(samples.shape).toEqual([n, 2]);
    expect([calls, rowsEmbedded, passes]).toEqual([1, n, 1]);
    // Row i is the flow's forward map of the i-th base draw under the i-th context alone.
    const noise = standardNormalTensor([n, 2], new Random(42));
    for (const i of [0, 1, 4_321, n - 1]) {
      const row = tf.tidy(() => {
        const embedded = apply(tf.slice(contexts, [i, 0, 0], [1, 3, 2]) as tf.Tensor3D);
        return forward(tf.slice(noise, [i, 0], [1, 2]), embedded)[0].arraySync() as number[][];
      });
      const batched = tf.tidy(() => tf.slice(samples, [i, 0], [1, 2]).arraySync() as number[][]);
      expect(row[0][0]).toBeCloseTo(batched[0][0], 5);
      expect(row[0][1]).toBeCloseTo(batched[0][1], 5);
    }
    tf.dispose([samples, noise]);
    expect(tf.memory().numTensors).toBe(before);
    contexts.dispose();
    model.dispose();
  });

  it('takes one context row for all events, embedded once, the same as that row repeated', () => {
    const embedding = new MLP({ inputSize: 5, outputSize: 3, hidden: [6], zeroInitLast: false, seed: 2 });
    const model = new EmbeddedContext(conditionalFlow(3), embedding);
    const one = tf.tensor2d([[0.1, -0.4, 1.2, 0.3, -0.9]]);
    const repeated = tf.tile(one, [50, 1]);
    const before = tf.memory().numTensors;
    const shared = model.sample(50, { context: one, random: 3 });
    const each = model.sample(50, { context: repeated, random: 3 });
    expect(shared.arraySync()).toEqual(each.arraySync());
    const sharedLogProb = model.logProb(shared, one);
    const eachLogProb = model.logProb(shared, repeated);
    expect(Array.from(sharedLogProb.dataSync())).toEqual(Array.from(eachLogProb.dataSync()));
    tf.dispose([shared, each, sharedLogProb, eachLogProb]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.sample(50, { context: tf.zeros([7, 5]) })).toThrow(/context must have shape \[50 or 1, 5\]/);
    expect(() => model.sample(5)).toThrow(/needs a context/);
    tf.dispose([one, repeated]);
    model.dispose();
  });

  it('takes image contexts shaped [N, H, W, C] or flat, and every weight of the embedding receives a gradient of the log-density', () => {
    const embedding = new ImageEmbedding({ imageShape: [4, 4, 1], outputSize: 3, channels: [4], hidden: [8], seed: 4 });
    const model = new EmbeddedContext(conditionalFlow(3), embedding);
    const images = tf.randomUniform([6, 4, 4, 1], 0, 1, 'float32', 7);
    const x = tf.randomNormal([6, 2], 0, 1, 'float32', 8);
    const shaped = model.logProb(x, images);
    const flat = model.logProb(x, tf.reshape(images, [6, 16]));
    expect(Array.from(flat.dataSync())).toEqual(Array.from(shaped.dataSync()));
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x, images))) as tf.Scalar, model.trainableVariables);
    for (const variable of embedding.trainableVariables) {
      expect(
        tf.tidy(() => tf.any(tf.notEqual(grads[variable.name], 0)).dataSync()[0]),
        variable.name,
      ).toBe(1);
    }
    tf.dispose([images, x, shaped, flat, value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('Distribution: one context row for all events', () => {
  it('a conditional flow samples and scores n events under one row as under that row repeated', () => {
    const flow = conditionalFlow(2);
    const one = tf.tensor2d([[0.7, -1.1]]);
    const repeated = tf.tile(one, [20, 1]);
    const before = tf.memory().numTensors;
    const shared = flow.sample(20, { context: one, random: 9 });
    const each = flow.sample(20, { context: repeated, random: 9 });
    expect(shared.arraySync()).toEqual(each.arraySync());
    const a = flow.logProb(shared, one);
    const b = flow.logProb(shared, repeated);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([shared, each, a, b]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => flow.sample(20, { context: tf.zeros([3, 2]) })).toThrow(/context must have shape \[20, 2\]/);
    tf.dispose([one, repeated]);
    flow.dispose();
  });
});
