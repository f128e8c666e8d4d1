import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { loadMnist } from '@flows/datasets';
import type { ConditionalMixtureOfDiscretizedLogistics, FactorOutDistribution } from '@flows/distributions';
import { fit, integerDiscreteFlow, tensorData } from '@flows/flows';
import { MLP } from '@flows/networks';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateExactly, exactNetwork } from './exact-network.js';
import { decodeIdf, encodeIdf } from './idf-coding.js';

let images: Uint8Array;
beforeAll(async () => {
  await tf.setBackend('cpu');
  images = Uint8Array.from((await loadMnist('test')).images.subarray(0, 700 * 784));
});

describe('integer flow coding', () => {
  it('codes a three-level flow (factor-out under conditional mixtures) exactly, within 1 % of its NLL', async () => {
    const flow = integerDiscreteFlow({
      size: 784,
      levels: 3,
      layers: 2,
      hidden: [16],
      priorHidden: [16],
      mask: 'checkerboard',
      imageShape: [28, 28],
      baseComponents: 3,
      seed: 4,
    });
    // Trained a little, so that the couplings shift and the priors' networks depend on their context.
    const training = tf.tensor2d(Float32Array.from(images.subarray(200 * 784)), [500, 784]);
    await fit(flow, tensorData(training), { epochs: 2, batchSize: 50, learningRate: 1e-2, random: 5 });
    const prior = (flow.base as FactorOutDistribution).factored as ConditionalMixtureOfDiscretizedLogistics;
    expect(tf.tidy(() => tf.max(tf.abs(prior.network.weights[1])).dataSync()[0])).toBeGreaterThan(0);
    const count = 200;
    const pixels = images.subarray(0, count * 784);
    const before = tf.memory().numTensors;
    const { message, idealBits } = encodeIdf(flow, pixels, count);
    const nll = tf.tidy(() => -tf.sum(flow.logProb(tf.tensor2d(Float32Array.from(pixels), [count, 784]))).dataSync()[0] / Math.LN2);
    expect(idealBits).toBeCloseTo(nll, -1);
    const bits = message.length * 8;
    expect(bits).toBeGreaterThan(idealBits);
    expect(bits).toBeLessThan(idealBits * 1.01 + 64);
    expect(decodeIdf(flow, message, count, 784)).toEqual(pixels);
    expect(tf.memory().numTensors).toBe(before);
    // A flipped word deep in the message decodes to something else, caught as corrupt or as other pixels.
    const corrupt = Uint8Array.from(message, (b, k) => (k === 40 ? b ^ 0x20 : b));
    let decoded: Uint8Array | null = null;
    try {
      decoded = decodeIdf(flow, corrupt, count, 784);
    } catch (error) {
      expect(String(error)).toMatch(/corrupt|another model|overflow|ran out of words/);
    }
    if (decoded) expect(decoded).not.toEqual(pixels);
    tf.dispose(training);
    flow.dispose();
  }, 120_000);

  it('evaluates a network in float64 to the float32 backend’s values', () => {
    const network = new MLP({ inputSize: 5, outputSize: 7, hidden: [9, 4], zeroInitLast: false, seed: 3 });
    for (const activation of ['relu', 'tanh', 'softplus'] as const) {
      const other = new MLP({ inputSize: 5, outputSize: 7, hidden: [9, 4], zeroInitLast: false, activation, seed: 3 });
      const input = Float32Array.from({ length: 15 }, (_, i) => (i * 37) % 11);
      const expected = tf.tidy(() => other.apply(tf.div(tf.tensor2d(input, [3, 5]), 8) as tf.Tensor2D).dataSync());
      const got = evaluateExactly(exactNetwork(other), input, 3, 8);
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      other.dispose();
    }
    expect(() => evaluateExactly(exactNetwork(network), new Float32Array(4), 1)).toThrow(/takes 5 inputs per row/);
    network.dispose();
  });
});
