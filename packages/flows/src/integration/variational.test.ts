import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { checkBijector } from '@flows/bijectors/testing';
import { ConditionalDiagonalNormal, TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { maf, multiScaleFlow, realNVP } from '@flows/builders';
import { distill, estimateLogNormalizer, fit, fitReverseKL, reverseKLLoss, tensorData } from '@flows/training';

// A normalised 2-D target: N((1, −2), diag(0.5², 2²)).
const target = (x: tf.Tensor) =>
  tf.tidy(() => {
    const z = tf.div(tf.sub(x, tf.tensor1d([1, -2])), tf.tensor1d([0.5, 2]));
    return tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), Math.log(2 * Math.PI * 0.5 * 2)) as tf.Tensor1D;
  });

describe('reverse KL', () => {
  it('fits a flow to a normalised target from its own samples: the loss (the KL) falls near 0 and log Z near 0', async () => {
    const model = realNVP({ size: 2, layers: 4, hidden: [16], seed: 1 });
    const before = tf.tidy(() => reverseKLLoss(model, target, 2000, new Random(5)).dataSync()[0]);
    const result = await fitReverseKL(model, target, { steps: 400, batchSize: 256, learningRate: 1e-2, random: 2, reportEvery: 50 });
    const after = tf.tidy(() => reverseKLLoss(model, target, 4000, new Random(6)).dataSync()[0]);
    expect(before).toBeGreaterThan(1);
    expect(after).toBeLessThan(0.05);
    expect(result.steps).toBe(400);
    expect(Math.abs(estimateLogNormalizer(model, target, { samples: 20000, seed: 3 }))).toBeLessThan(0.05);
    const samples = model.sample(4000, { random: 4 });
    const { mean } = tf.moments(samples, 0);
    const m = mean.dataSync();
    expect(m[0]).toBeCloseTo(1, 1);
    expect(Math.abs(m[1] + 2)).toBeLessThan(0.2);
    model.dispose();
  });

  it('estimates log Z of an unnormalised target (the target plus 3 nats)', async () => {
    const model = realNVP({ size: 2, layers: 4, hidden: [16], seed: 1 });
    const shifted = (x: tf.Tensor) => tf.tidy(() => tf.add(target(x), 3) as tf.Tensor1D);
    await fitReverseKL(model, shifted, { steps: 400, batchSize: 256, learningRate: 1e-2, random: 2, reportEvery: 100 });
    expect(estimateLogNormalizer(model, shifted, { samples: 20000 })).toBeCloseTo(3, 1);
    model.dispose();
  });
});

describe('estimateLogNormalizer', () => {
  it('equals the log-mean-exp of its importance weights for any sample count (250 000 here), without a large array', () => {
    // With the flow equal to the target up to a known shift, every log-weight is that shift: log Z is exact.
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 1 });
    const matched = (x: tf.Tensor) => tf.tidy(() => tf.add(model.uncheckedLogProb(x), 7.25) as tf.Tensor1D);
    expect(estimateLogNormalizer(model, matched, { samples: 250_000, batchSize: 50_000 })).toBeCloseTo(7.25, 4);
    // Mixed weights: half the rows 0, half 1000 nats: log Z = 1000 + log(1/2), with no overflow.
    let call = 0;
    const alternating = (x: tf.Tensor) => tf.tidy(() => tf.add(model.uncheckedLogProb(x), call++ % 2 === 0 ? 0 : 1000) as tf.Tensor1D);
    expect(estimateLogNormalizer(model, alternating, { samples: 200_000, batchSize: 100_000 })).toBeCloseTo(1000 + Math.log(0.5), 4);
    model.dispose();
  });
});

describe('density distillation', () => {
  it('an IAF student learns a trained MAF teacher: KL(student ‖ teacher) falls and the densities agree', async () => {
    const random = new Random(0);
    const data = tf.tidy(() => {
      const z = tf.tensor2d(random.fillNormal(new Float32Array(4000)), [2000, 2]);
      const [a, b] = tf.split(z, 2, 1);
      return tf.concat([a, tf.add(tf.mul(b, 0.5), tf.square(a))], 1); // a banana
    });
    const teacher = maf({ size: 2, layers: 3, hidden: [16, 16], seed: 1 });
    await fit(teacher, data, { epochs: 40, batchSize: 200, learningRate: 5e-3, random: 1, reportEvery: 100 });
    const student = maf({ size: 2, layers: 3, hidden: [16, 16], seed: 2, inverse: true });
    const klBefore = tf.tidy(() => reverseKLLoss(student, (x) => teacher.uncheckedLogProb(x), 2000, new Random(7)).dataSync()[0]);
    await distill(student, teacher, { steps: 300, batchSize: 256, learningRate: 5e-3, random: 3, reportEvery: 100 });
    const klAfter = tf.tidy(() => reverseKLLoss(student, (x) => teacher.uncheckedLogProb(x), 2000, new Random(8)).dataSync()[0]);
    expect(klBefore).toBeGreaterThan(0.3);
    expect(klAfter).toBeLessThan(0.1);
    expect(klAfter).toBeGreaterThan(-0.02); // a KL: non-negative up to Monte Carlo noise
    tf.dispose([data]);
    teacher.dispose();
    student.dispose();
  });
});

describe('multi-scale flow', () => {
  it('builds a two-level Glow on 4 × 4 × 1 images that passes the conformance kit and samples images', () => {
    const flow = multiScaleFlow({ shape: [4, 4, 1], levels: 2, stepsPerLevel: 2, hidden: [4], seed: 1 });
    expect(flow.base.eventShape).toEqual([16]);
    expect(flow.eventShape).toEqual([4, 4, 1]);
    const samples = flow.sample(5, { random: 1, temperature: 0.7 });
    expect(samples.shape).toEqual([5, 4, 4, 1]);
    expect(flow.logProb(samples).shape).toEqual([5]);
    // ActNorm initialises on the first density batch, so the kit's prepare step feeds one.
    const initialise = (b: { inverse(y: tf.Tensor): tf.Tensor }) => tf.dispose(b.inverse(tf.randomNormal([16, 4, 4, 1], 0.5, 2, 'float32', 9)));
    expect(() =>
      checkBijector(() => multiScaleFlow({ shape: [4, 4, 1], levels: 2, stepsPerLevel: 1, hidden: [3], seed: 2 }).bijector, { prepare: initialise }),
    ).not.toThrow();
    expect(() => multiScaleFlow({ shape: [6, 6, 1], levels: 2 })).toThrow(/divisible by 2\^levels = 4/);
    flow.dispose();
  });
});

describe('conditional flows', () => {
  it('a conditional MAF on a conditional base learns a label-dependent density', async () => {
    const random = new Random(3);
    const labels = Array.from({ length: 2000 }, () => (random.uniform() < 0.5 ? 0 : 1));
    const values = labels.map((c) => (c === 0 ? -2 : 2) + 0.5 * random.normal());
    const x = tf.tensor2d(
      values.flatMap((v) => [v, v * 0.5 + 0.1 * random.normal()]),
      [2000, 2],
    );
    const context = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), 'float32');
    const flow = maf({ size: 2, layers: 2, hidden: [16], contextSize: 2, seed: 4 });
    const conditional = new TransformedDistribution(new ConditionalDiagonalNormal({ size: 2, contextSize: 2, seed: 5 }), flow.bijector);
    await fit(conditional, tensorData(x, context), { epochs: 30, batchSize: 200, learningRate: 1e-2, random: 1, reportEvery: 100 });
    const sampleMean = (label: number) =>
      tf.tidy(() =>
        tf
          .mean(conditional.sample(2000, { random: label, context: tf.tile(tf.cast(tf.oneHot(tf.tensor1d([label], 'int32'), 2), 'float32'), [2000, 1]) }), 0)
          .dataSync(),
      );
    expect(sampleMean(0)[0]).toBeCloseTo(-2, 0);
    expect(sampleMean(1)[0]).toBeCloseTo(2, 0);
    tf.dispose([x, context]);
    conditional.dispose();
  });
});
