import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { loadMnist } from '@flows/datasets';
import type { ConditionalMixtureOfDiscretizedLogistics, FactorOutDistribution } from '@flows/distributions';
import { convIntegerFlow, fit, integerDiscreteFlow, tensorData } from '@flows/flows';
import { ConvNet, MLP } from '@flows/networks';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateConvExactly, evaluateExactly, exactConvNetwork, exactNetwork } from './exact-network.js';
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

  it('codes a convolutional multi-scale flow (squeezes, convolutional couplings, factor-out) exactly, within 1 % of its NLL', async () => {
    const flow = convIntegerFlow({ shape: [28, 28, 1], levels: 2, layers: 2, hidden: [8], priorHidden: [16], components: 3, seed: 6 });
    const training = tf.tensor4d(Float32Array.from(images.subarray(200 * 784)), [500, 28, 28, 1]);
    await fit(flow, tensorData(training), { epochs: 1, batchSize: 50, learningRate: 1e-2, random: 7 });
    const count = 60;
    const pixels = images.subarray(0, count * 784);
    const x = tf.tensor4d(Float32Array.from(pixels), [count, 28, 28, 1]);
    // The couplings shift: the base side is not the squeezed image.
    const z = flow.bijector.inverse(x);
    const unshifted = tf.tidy(() => tf.sum(tf.abs(tf.sub(z, flow.bijector.inverse(tf.zeros([count, 28, 28, 1]))))).dataSync()[0]);
    expect(unshifted).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    const { message, idealBits } = encodeIdf(flow, pixels, count);
    const nll = tf.tidy(() => -tf.sum(flow.logProb(x)).dataSync()[0] / Math.LN2);
    expect(idealBits).toBeCloseTo(nll, -1);
    expect(message.length * 8).toBeLessThan(idealBits * 1.01 + 64);
    expect(decodeIdf(flow, message, count, 784)).toEqual(pixels);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([training, x, z]);
    flow.dispose();
  }, 120_000);

  it('evaluates a convolutional network in float64 to the float32 backend’s values', () => {
    for (const activation of ['relu', 'tanh'] as const) {
      const network = new ConvNet({ inputChannels: 3, outputChannels: 2, hidden: [5], activation, zeroInitLast: false, seed: 4 });
      const input = Float32Array.from({ length: 2 * 4 * 5 * 3 }, (_, i) => ((i * 37) % 11) * (i % 4 === 0 ? 0 : 1));
      const expected = tf.tidy(() => network.apply(tf.div(tf.tensor4d(input, [2, 4, 5, 3]), 8) as tf.Tensor4D).dataSync());
      const got = evaluateConvExactly(exactConvNetwork(network), input, 2, 4, 5, 8);
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      expect(() => evaluateConvExactly(exactConvNetwork(network), new Float32Array(4), 1, 2, 2)).toThrow(/takes 2 × 2 × 3 inputs per image/);
      network.dispose();
    }
  });

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
