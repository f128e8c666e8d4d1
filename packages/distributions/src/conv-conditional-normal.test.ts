import * as tf from '@tensorflow/tfjs-core';
import { distributionFromJSON } from './distribution-registry.js';
import { describe, expect, it } from 'vitest';
import { ConvConditionalNormal } from './conv-conditional-normal.js';
import { StandardNormal } from './normal.js';

const LOG_2PI = Math.log(2 * Math.PI);

describe('ConvConditionalNormal', () => {
  it('a fresh one is the standard normal for every context', () => {
    const prior = new ConvConditionalNormal({ shape: [2, 2, 1], contextChannels: 3, hidden: [4], seed: 1 });
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const context = tf.randomNormal([3, 12], 0, 1, 'float32', 3);
    const standard = new StandardNormal([4]);
    expect(Array.from(prior.logProb(x, context).dataSync())).toEqual(Array.from(standard.logProb(x).dataSync()).map((v) => expect.closeTo(v, 5)));
    tf.dispose([x, context]);
    prior.dispose();
  });

  it('takes μ and log σ at each pixel from that pixel’s context channels in the image layout (a centre-tap filter)', () => {
    // One convolution, no hidden layer: μ = 2·c₀ and log σ = 0.5·c₁ at every pixel, from the filter's centre tap.
    const prior = new ConvConditionalNormal({ shape: [1, 3, 1], contextChannels: 2, hidden: [], seed: 4 });
    const filter = new Float32Array(3 * 3 * 2 * 2);
    const at = (i: number, j: number, cin: number, cout: number) => ((i * 3 + j) * 2 + cin) * 2 + cout;
    filter[at(1, 1, 0, 0)] = 2;
    filter[at(1, 1, 1, 1)] = 0.5;
    prior.network.filters[0].assign(tf.tensor4d(filter, [3, 3, 2, 2]));
    // Context rows are the 1 × 3 × 2 image in row-major order: pixel p has channels (c₀, c₁) = (context[2p], context[2p + 1]).
    const context = [0.5, -1, -0.25, 0.4, 1.5, 2];
    const x = [0.3, -0.7, 2.2];
    const expected = x.reduce((sum, v, p) => {
      const mean = 2 * context[2 * p];
      const logScale = 0.5 * context[2 * p + 1];
      const z = (v - mean) / Math.exp(logScale);
      return sum - 0.5 * z * z - logScale - 0.5 * LOG_2PI;
    }, 0);
    const logProb = prior.logProb(tf.tensor2d([x]), tf.tensor2d([context]));
    expect(logProb.dataSync()[0]).toBeCloseTo(expected, 4);
    const mode = prior.sample(1, { temperature: 1e-9, context: tf.tensor2d([context]) });
    expect(Array.from(mode.dataSync())).toEqual([1, -0.5, 3].map((v) => expect.closeTo(v, 6)));
    const noise = prior.standardize(tf.tensor2d([x]), tf.tensor2d([context]));
    expect(Array.from(noise.dataSync())).toEqual(x.map((v, p) => expect.closeTo((v - 2 * context[2 * p]) / Math.exp(0.5 * context[2 * p + 1]), 5)));
    expect(Array.from(prior.unstandardize(noise, tf.tensor2d([context])).dataSync())).toEqual(x.map((v) => expect.closeTo(v, 5)));
    const copy = distributionFromJSON(prior.toJSON()) as ConvConditionalNormal;
    expect(copy.contextSize).toBe(6);
    expect(copy.eventShape).toEqual([3]);
    prior.dispose();
    copy.dispose();
  });

  it('refuses a shape that is not an image and a missing context, naming them', () => {
    expect(() => new ConvConditionalNormal({ shape: [4, 4], contextChannels: 1 })).toThrow(/shape must be \[height, width, channels\], got \[4,4\]/);
    expect(() => new ConvConditionalNormal({ shape: [2, 2, 1], contextChannels: 0 })).toThrow(/contextChannels/);
    const prior = new ConvConditionalNormal({ shape: [2, 2, 1], contextChannels: 1, seed: 1 });
    expect(() => prior.logProb(tf.zeros([1, 4]))).toThrow(/a context of width 4 is required/);
    prior.dispose();
  });
});
