import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { VariationalDequantization } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { multiScaleFlow } from './multi-scale-flow.js';
import { variationalDequantizer } from './variational-dequantizer.js';

/** 4 × 4 "images" of 8-bit values as v/255, four fixed patterns. */
function images(n: number): tf.Tensor4D {
  const patterns = [
    [0, 0, 255, 255],
    [255, 128, 0, 0],
    [12, 200, 200, 12],
    [60, 60, 60, 250],
  ];
  const values = Array.from({ length: n }, (_, i) => Array.from({ length: 16 }, (_, p) => patterns[i % 4][(p + (p >> 2)) % 4])).flat();
  return tf.tidy(() => tf.div(tf.tensor4d(values, [n, 4, 4, 1]), 255));
}

describe('variationalDequantizer', () => {
  it('is a conditional flow over the flat noise given the image, with a conditional base and checkerboard couplings', () => {
    const q = variationalDequantizer({ shape: [4, 4, 2], hidden: [5], steps: 3, couplingHidden: [4], seed: 1 });
    expect(q.eventShape).toEqual([32]);
    expect(q.contextSize).toBe(32);
    expect(q.base.className).toBe('ConvConditionalNormal');
    const members = (q.bijector.toJSON().config as { bijectors: { className: string }[] }).bijectors.map((b) => b.className);
    expect(members).toEqual(['Reshape', 'MaskedAffineCoupling', 'MaskedAffineCoupling', 'MaskedAffineCoupling', 'Reshape']);
    tf.tidy(() => {
      const context = tf.randomUniform([3, 32], 0, 1, 'float32', 2);
      const [z, logProb] = q.sampleAndLogProb(3, { random: 4, context });
      expect(Array.from(q.logProb(z, context).dataSync())).toEqual(Array.from(logProb.dataSync()).map((v) => expect.closeTo(v, 3)));
    });
    expect(() => variationalDequantizer({ shape: [1, 1, 1] })).toThrow(/at least two pixels; use steps: 0/);
    expect(() => variationalDequantizer({ shape: [2, 2, 1], steps: -1 })).toThrow(/steps must be a whole number/);
    variationalDequantizer({ shape: [1, 1, 3], steps: 0 }).dispose();
    q.dispose();
  });

  it('trains with a multi-scale flow (gated residual couplings) on 8-bit images: the bound rises, and the whole model saves and loads', () => {
    const build = () =>
      new VariationalDequantization({
        model: multiScaleFlow({ shape: [4, 4, 1], levels: 1, stepsPerLevel: 2, hidden: [4], conditioner: 'gated-residual', blocks: 1, seed: 2 }),
        dequantizer: variationalDequantizer({ shape: [4, 4, 1], hidden: [4], steps: 2, couplingHidden: [4], seed: 3 }),
        binWidth: 1 / 255,
        seed: 4,
      });
    const vd = build();
    const x = images(32);
    const meanElbo = () => tf.tidy(() => tf.mean(vd.elbo(x, { random: 7 })).dataSync()[0]);
    vd.model.logProb(x).dispose(); // ActNorm's data-dependent start
    const before = meanElbo();
    const optimizer = tf.train.adam(0.01);
    const random = new Random(8);
    const step = () => optimizer.minimize(() => vd.loss(x, random), false, vd.trainableVariables)?.dispose();
    step(); // Adam's moments are made on the first step
    const tensors = tf.memory().numTensors;
    for (let i = 1; i < 60; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    const after = meanElbo();
    expect(after).toBeGreaterThan(before + 20);
    const copy = VariationalDequantization.fromJSON(JSON.parse(JSON.stringify(vd.toJSON())));
    expect(copy.variables.length).toBe(vd.variables.length);
    vd.variables.forEach((v, i) => copy.variables[i].assign(v));
    const a = tf.tidy(() => Array.from(vd.elbo(x, { random: 9 }).dataSync()));
    const b = tf.tidy(() => Array.from(copy.elbo(x, { random: 9 }).dataSync()));
    expect(b).toEqual(a.map((v) => expect.closeTo(v, 3)));
    x.dispose();
    optimizer.dispose();
    vd.dispose();
    copy.dispose();
  });
});
