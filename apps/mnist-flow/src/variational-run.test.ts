import * as tf from '@tensorflow/tfjs-core';
import { ActNorm } from '@flows/bijectors';
import { Random } from '@flows/core';
import { imageBatches, loadMnist } from '@flows/datasets';
import { type TransformedDistribution, VariationalDequantization } from '@flows/distributions';
import { multiScaleFlow, selectBackend, variationalDequantizer } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { logitAlphaOf, logitFlowOf, pixelData, startFromData, variationalPair, variationalTestScore } from './variational-run.js';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

/** Every ActNorm inside a model (through chains, levels and factor-outs). */
function actNormsIn(object: unknown, found = new Set<ActNorm>(), seen = new Set<unknown>()): ActNorm[] {
  if (object && typeof object === 'object' && !seen.has(object) && !(object instanceof tf.Tensor)) {
    seen.add(object);
    if (object instanceof ActNorm) found.add(object);
    else for (const value of Object.values(object)) actNormsIn(value, found, seen);
  }
  return [...found];
}

const flowOnLogits = () =>
  multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: 1, hidden: [4], seed: 3, prior: 'conditional' }) as TransformedDistribution;

describe('variational dequantization in mnist-flow', () => {
  it("the pair's density of pixels is the flow's density of their logits with the logit view's log-det (the uniform runs' figure)", async () => {
    const test = await loadMnist('test');
    const flow = flowOnLogits();
    const alpha = 1e-6;
    const pair = variationalPair(flow, alpha, 0);
    expect(logitAlphaOf(pair)).toBe(alpha);
    // The logit view's batch: its pixels' logits and the log-det of pixels → logits, from @flows/datasets.
    // (.next(), not destructuring: ending the iterator early disposes its batch.)
    const batch = imageBatches(test, {
      batchSize: 8,
      view: { kind: 'logit', alpha },
      shuffle: false,
      noise: 'fixed',
      noiseSeed: 7,
      limit: 8,
      shape: 'image',
    }).next().value!;
    const viewed = tf.tidy(() => tf.add(flow.logProb(batch.x), batch.logDet));
    const pixelsBatch = imageBatches(test, {
      batchSize: 8,
      view: { kind: 'dequantized' },
      shuffle: false,
      noise: 'fixed',
      noiseSeed: 7,
      limit: 8,
      shape: 'image',
    }).next().value!;
    // The dequantized view gives (v + u)/255 with the same u; the pair's pixels are (v + u)/256.
    const direct = tf.tidy(() => pair.model.logProb(tf.mul(pixelsBatch.x, 255 / 256)));
    const [a, b] = [viewed.dataSync(), direct.dataSync()];
    for (let i = 0; i < 8; i++) expect(b[i]).toBeCloseTo(a[i], 1);
    tf.dispose([viewed, direct]);
    batch.dispose();
    pixelsBatch.dispose();
    // The flow inside the pair is the flow: the same density of logits, the same variables.
    const inside = logitFlowOf(pair);
    const z = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    expect(Array.from(inside.logProb(z).dataSync())).toEqual(Array.from(flow.logProb(z).dataSync()));
    expect(inside.trainableVariables.length).toBe(flow.trainableVariables.length);
    z.dispose();
    pair.dispose();
  });

  it('pixels are v/256 without noise, in order for testing; the test score is the mean negative bound of seeded draws; memory stays flat', async () => {
    const test = await loadMnist('test');
    const data = pixelData(test, 6, false);
    const before = tf.memory().numTensors;
    const [first] = data.batches(6, new Random(0));
    expect(first.x.shape).toEqual([6, 28, 28, 1]);
    const values = first.x.dataSync();
    for (let i = 0; i < 6 * 784; i++) expect(Math.abs(values[i] - test.images[i] / 256)).toBeLessThan(1e-6);
    first.x.dispose();
    const pair = variationalPair(flowOnLogits(), 1e-6, 1);
    const afterModel = tf.memory().numTensors;
    // ActNorm's start from the first batch, the caller's generator left where it was (a resumed run replays its draws).
    const random = new Random(9);
    const state = JSON.stringify(random.getState());
    const actNorms = actNormsIn(pair);
    expect(actNorms.length).toBeGreaterThan(0);
    expect(actNorms.every((a) => a.initialized.dataSync()[0] === 0)).toBe(true);
    startFromData(pair, pixelData(test, 12), 6, random);
    expect(JSON.stringify(random.getState())).toBe(state);
    expect(actNorms.every((a) => a.initialized.dataSync()[0] === 1)).toBe(true);
    const score = await variationalTestScore(pair, data);
    const x = Array.from(data.batches(6, new Random(0)))[0].x;
    const manual = tf.tidy(() => -tf.mean(pair.uncheckedElbo(x, new Random(12345))).dataSync()[0]);
    x.dispose();
    expect(score.nll).toBeCloseTo(manual, 3);
    expect(score.nfe).toBeNull();
    expect(tf.memory().numTensors).toBe(afterModel);
    pair.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('logitFlowOf refuses a pair whose model does not end with the inverted logit', () => {
    const flow = flowOnLogits();
    const pair = new VariationalDequantization({
      model: flow,
      dequantizer: variationalDequantizer({ shape: [28, 28, 1], hidden: [4], steps: 0, seed: 1 }),
      binWidth: 1 / 256,
    });
    expect(() => logitFlowOf(pair)).toThrow(/not the inverted logit|not a flow on logits/);
    pair.dispose();
  });
});
