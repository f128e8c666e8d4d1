import * as tf from '@tensorflow/tfjs-core';
import { EmbeddedContext, TransformedDistribution } from '@flows/distributions';
import { DeepSets, MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { autoregressiveFlow, couplingFlow, maf, nice, realNVP, splineFlow } from './index.js';

const embedding = () => new DeepSets({ setSize: 4, elementSize: 2, outputSize: 3, elementHidden: [8], featureSize: 6, hidden: [8], seed: 1 });

describe('the builders with an embedding network', () => {
  const builders = {
    couplingFlow: () => couplingFlow({ size: 2, layers: 2, hidden: [8], embedding: embedding() }),
    autoregressiveFlow: () => autoregressiveFlow({ size: 2, layers: 2, hidden: [8], transformer: 'spline', embedding: embedding() }),
    realNVP: () => realNVP({ size: 2, layers: 2, hidden: [8], embedding: embedding() }),
    nice: () => nice({ size: 2, layers: 2, hidden: [8], embedding: embedding() }),
    maf: () => maf({ size: 2, layers: 2, hidden: [8], embedding: embedding() }),
    splineFlow: () => splineFlow({ size: 2, layers: 2, hidden: [8], embedding: embedding() }),
  };

  it.each(Object.keys(builders))('%s returns the flow inside an EmbeddedContext that reads raw sets, the embedding among its trainable variables', (name) => {
    const model = builders[name as keyof typeof builders]();
    expect(model).toBeInstanceOf(EmbeddedContext);
    expect(model.distribution).toBeInstanceOf(TransformedDistribution);
    expect(model.contextSize).toBe(8);
    expect(model.distribution.contextSize).toBe(3);
    const embeddingVariables = model.embedding.trainableVariables;
    expect(embeddingVariables.length).toBeGreaterThan(0);
    for (const variable of embeddingVariables) expect(model.trainableVariables).toContain(variable);
    const sets = tf.randomNormal([5, 4, 2], 0, 1, 'float32', 2);
    const samples = model.sample(5, { context: sets, random: 1 });
    const logProb = model.logProb(samples, sets);
    expect(logProb.shape).toEqual([5]);
    expect(Array.from(logProb.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([sets, samples, logProb]);
    model.dispose();
  });

  it('refuses a contextSize that disagrees with the embedding, and an image network as an embedding', () => {
    const net = new MLP({ inputSize: 5, outputSize: 3, hidden: [], zeroInitLast: false });
    expect(() => realNVP({ size: 2, contextSize: 5, embedding: net })).toThrow(/contextSize is 5 but the embedding gives 3 values/);
    expect(realNVP({ size: 2, contextSize: 3, embedding: net, layers: 1 }).contextSize).toBe(5);
    expect(() => maf({ size: 2, embedding: { acceptsImages: true } as never })).toThrow(/embedding must be a vector network/);
    net.dispose();
  });
});
