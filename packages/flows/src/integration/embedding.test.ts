// A conditional flow with an embedding network, end to end: fit trains the embedding with the
// flow, saveModel/loadModel keep it, and a loaded model samples per-row contexts in one pass.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EmbeddedContext } from '@flows/distributions';
import { DeepSets, ImageEmbedding, MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { realNVP } from '@flows/builders';
import { loadModel, saveModel } from '@flows/model-files';
import { fit, tensorData } from '@flows/training';

/** Pairs (x, set): x ~ N(mean of the set's first values, 0.2²) in 2-D, each set 5 draws of 2 values. */
function setPairs(n: number, seed: number): { x: tf.Tensor2D; sets: tf.Tensor3D } {
  return tf.tidy(() => {
    const sets = tf.randomNormal([n, 5, 2], 0, 1, 'float32', seed) as tf.Tensor3D;
    const x = tf.add(tf.mean(sets, 1), tf.randomNormal([n, 2], 0, 0.2, 'float32', seed + 1)) as tf.Tensor2D;
    return { x, sets };
  });
}

describe('a flow with an embedding network', () => {
  it('fit trains the embedding with the flow (every embedding weight moves, the NLL falls), without leaking', async () => {
    const embedding = new DeepSets({ setSize: 5, elementSize: 2, outputSize: 4, elementHidden: [16], featureSize: 8, hidden: [16], seed: 1 });
    const flow = realNVP({ size: 2, layers: 4, hidden: [16], embedding, seed: 2 });
    const { x, sets } = setPairs(2000, 3);
    const before = flow.embedding.trainableVariables.map((v) => v.clone());
    const nll = () => tf.tidy(() => -tf.mean(flow.logProb(x, sets)).dataSync()[0]);
    const initial = nll();
    const tensors = tf.memory().numTensors;
    await fit(flow, tensorData(x, sets), { epochs: 4, batchSize: 100, learningRate: 3e-3, random: 4 });
    expect(tf.memory().numTensors).toBe(tensors);
    flow.embedding.trainableVariables.forEach((v, i) => {
      expect(
        tf.tidy(() => tf.max(tf.abs(tf.sub(v, before[i]))).dataSync()[0]),
        v.name,
      ).toBeGreaterThan(1e-4);
    });
    // The density given the set is far tighter than without it (x spreads ±0.45 around the set's mean).
    expect(nll()).toBeLessThan(initial - 0.5);
    tf.dispose([x, sets, ...before]);
    flow.dispose();
  });

  it.each([
    ['DeepSets', () => new DeepSets({ setSize: 3, elementSize: 2, outputSize: 3, elementHidden: [8], featureSize: 4, hidden: [8], seed: 5 }), [3, 2]],
    ['MLP', () => new MLP({ inputSize: 4, outputSize: 3, hidden: [8], zeroInitLast: false, seed: 6 }), [4]],
    ['ImageEmbedding', () => new ImageEmbedding({ imageShape: [4, 4, 1], outputSize: 3, channels: [4], hidden: [8], seed: 7 }), [4, 4, 1]],
  ] as const)('saves and loads with its %s embedding: the same log-densities and samples', async (_name, makeEmbedding, contextShape) => {
    const flow = realNVP({ size: 2, layers: 2, hidden: [8], embedding: makeEmbedding(), seed: 8 });
    // Move every weight off its initial value, so that a load that rebuilt fresh weights would differ.
    for (const v of flow.trainableVariables) tf.tidy(() => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 9))));
    const dir = mkdtempSync(join(tmpdir(), 'flows-embedding-'));
    await saveModel(flow, dir);
    const loaded = await loadModel(dir);
    expect(loaded).toBeInstanceOf(EmbeddedContext);
    const context = tf.randomNormal([16, ...contextShape], 0, 1, 'float32', 10);
    const x = tf.randomNormal([16, 2], 0, 1, 'float32', 11);
    const expected = flow.logProb(x, context);
    const actual = loaded.logProb(x, context);
    const a = Array.from(actual.dataSync());
    Array.from(expected.dataSync()).forEach((value, i) => expect(a[i]).toBeCloseTo(value, 5));
    const s1 = flow.sample(16, { context, random: 12 });
    const s2 = loaded.sample(16, { context, random: 12 });
    expect(s2.arraySync()).toEqual(s1.arraySync());
    tf.dispose([context, x, expected, actual, s1, s2]);
    flow.dispose();
    loaded.dispose();
  });
});
