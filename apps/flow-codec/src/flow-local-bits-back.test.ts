import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Chain, MaskedAffineCoupling } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { loadMnist } from '@flows/datasets';
import { loadModel, multiScaleFlow, selectBackend } from '@flows/flows';
import type { Distribution } from '@flows/distributions';
import { RansError } from '@flows/codec';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFlow, decodeWithFlow, encodeWithFlow } from './flow-local-bits-back.js';

const SHIPPED = join(import.meta.dirname, '..', '..', '..', 'packages', 'pretrained', 'models', 'mnist-multiscale');
const ALPHA = 1e-6;

/** The flow's dequantized negative log-likelihood in bits (one uniform draw per pixel), logit log-det counted. */
function nllBits(flow: Distribution, images: Uint8Array[]): number {
  return tf.tidy(() => {
    const v = tf.tensor(Float32Array.from(images.flatMap((image) => Array.from(image))), [images.length, 28, 28, 1]);
    const p = tf.add(ALPHA, tf.mul(1 - 2 * ALPHA, tf.div(tf.add(v, tf.randomUniform(v.shape, 0, 1, 'float32', 3)), 256)));
    const y = tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
    const logDet = tf.sum(tf.sub(Math.log((1 - 2 * ALPHA) / 256), tf.log(tf.mul(p, tf.sub(1, p)))));
    return -tf.add(tf.sum(flow.logProb(y)), logDet).dataSync()[0] / Math.LN2;
  });
}

let flow: Distribution;
let images: Uint8Array[];

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  flow = await loadModel(SHIPPED);
  const test = await loadMnist('test');
  images = Array.from({ length: 30 }, (_, k) => test.images.slice(k * 784, (k + 1) * 784));
});

describe('local bits-back coding of 8-bit images with a continuous multi-scale flow', () => {
  it('gives the shipped flow’s 30 test digits back exactly, at its dequantized negative log-likelihood to within 1.5 % (the initial words apart)', () => {
    const compiled = compileFlow(flow);
    const { message, initialWords } = encodeWithFlow(compiled, images, { alpha: ALPHA });
    const decoded = decodeWithFlow(compiled, message, images.length, initialWords, { alpha: ALPHA });
    expect(decoded.map((image) => Array.from(image))).toEqual(images.map((image) => Array.from(image)));
    // A layer computed the wrong way round, or a log-det missed, costs tens of percent here.
    const coded = 8 * message.length - 32 * initialWords;
    const ideal = nllBits(flow, images);
    expect(Math.abs(coded / ideal - 1)).toBeLessThan(0.015);
  });

  it('refuses a message that does not come back to its seed, one decoded with another α, a cut one and one whose count is too large', () => {
    const compiled = compileFlow(flow);
    const { message, initialWords } = encodeWithFlow(compiled, images.slice(0, 2), { alpha: ALPHA });
    expect(() => decodeWithFlow(compiled, message, 2, initialWords + 1, { alpha: ALPHA })).toThrow(RansError);
    expect(() => decodeWithFlow(compiled, message, 2, initialWords, { alpha: 1e-5 })).toThrow(RansError);
    expect(() => encodeWithFlow(compiled, [new Uint8Array(10)], { alpha: ALPHA })).toThrow(/image 0 has 10 pixels; the flow codes 784/);
    // A cut message, or a count far beyond what the message holds, ends in an error within the first image or two.
    expect(() => decodeWithFlow(compiled, message.subarray(0, message.length - 400), 2, initialWords, { alpha: ALPHA })).toThrow(RansError);
    let decoded = 0;
    const onProgress = (done: number) => {
      decoded = done;
    };
    expect(() => decodeWithFlow(compiled, message, 300_000, initialWords, { alpha: ALPHA, onProgress })).toThrow(RansError);
    expect(decoded).toBeLessThanOrEqual(3);
  });

  it("names what it cannot compute exactly: a coupling whose networks are MLPs, or Flow++'s gated residual networks", () => {
    const dense = new TransformedDistribution(new StandardNormal([4]), new Chain([new MaskedAffineCoupling({ mask: [1, 1, 0, 0], hidden: [8] })]));
    expect(() => compileFlow(dense)).toThrow(/affine couplings over images with convolutional networks only \(ConvNet; this coupling's are MLP and MLP\)/);
    dense.dispose();
    const gated = multiScaleFlow({ shape: [4, 4, 1], levels: 1, stepsPerLevel: 1, hidden: [4], conditioner: 'gated-residual', blocks: 1 });
    expect(() => compileFlow(gated)).toThrow(/this coupling's are GatedResidualConvNet and GatedResidualConvNet/);
    gated.dispose();
  });
});
