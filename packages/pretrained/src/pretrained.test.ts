import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@flows/flows';
import { registerSplineBijectors } from '@flows/bijector-spline';
import '@flows/continuous';
import { binarizedSplit, imageBatches, loadMnist, MNIST_BINARIZATION_SEEDS, toyByName } from '@flows/datasets';
import { loadModel } from '@flows/model-files';
import { vaeFromJSON } from '@flows/vae-priors';
import { describe, expect, it } from 'vitest';
import { loadPretrained, PRETRAINED_NAMES, pretrainedCard, pretrainedDirectory, pretrainedModelUrl, pretrainedName } from './pretrained.js';

registerSplineBijectors();

describe('the shipped models', () => {
  it.each(PRETRAINED_NAMES)('%s loads from what ships and reproduces its card on the fixed subset', async (name) => {
    const card = pretrainedCard(name);
    const directory = await pretrainedDirectory(name);
    // The card's size is the files' size: a model swapped without its card fails here.
    const bytes = readdirSync(directory).reduce((sum, file) => sum + statSync(join(directory, file)).size, 0);
    expect(bytes).toBe(card.sizeBytes);
    // The card's precision is the stored one: float32 throughout, or float16 for (at least) most values.
    const specs = (JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as { weights: { specs: { shape: number[]; dtype: string }[] } }).weights
      .specs;
    const values = (dtype: string) => specs.filter((s) => s.dtype === dtype).reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
    if (card.precision === 'float32') expect(values('float16')).toBe(0);
    else expect(values('float16')).toBeGreaterThan(values('float32'));
    const check = card.check;
    if (check.kind === 'binarized-mnist-elbo') {
      await expect(loadPretrained(name)).rejects.toThrow(/is a VAE, not a distribution: load it with loadModel/);
      const vae = await loadModel(directory, vaeFromJSON);
      const before = tf.memory().numTensors;
      const test = binarizedSplit(await loadMnist('test'), check.binarization, MNIST_BINARIZATION_SEEDS.test);
      const mean = tf.tidy(() => {
        const x = tf.cast(tf.greater(tf.tensor2d(test.images.subarray(0, check.images * 784), [check.images, 784], 'int32'), 127), 'float32') as tf.Tensor2D;
        return -tf.mean(vae.elbo(x, { random: check.noise }).elbo).dataSync()[0];
      });
      expect(Math.abs(mean - check.negativeElboNats)).toBeLessThan(check.tolerance);
      expect(tf.memory().numTensors).toBe(before);
      vae.dispose();
      return;
    }
    const model = await loadPretrained(name);
    const before = tf.memory().numTensors;
    if (check.kind === 'mnist-bits-per-dim') {
      const test = await loadMnist('test');
      const view = { kind: 'logit' as const, alpha: check.logitAlpha };
      let total = 0;
      for (const batch of imageBatches(test, {
        batchSize: 50,
        view,
        shuffle: false,
        noise: 'fixed',
        noiseSeed: check.noiseSeed,
        limit: check.images,
        shape: 'image',
      }))
        total += tf.tidy(() => tf.sum(tf.add(model.logProb(batch.x), batch.logDet)).dataSync()[0]);
      const bpd = (-total / check.images / 784 + Math.log(256)) / Math.log(2);
      expect(Math.abs(bpd - check.bitsPerDim)).toBeLessThan(check.tolerance);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      return;
    }
    if (check.kind === 'mnist-8bit-bits-per-dim') {
      // An integer flow: the pixels as integers 0…255, the log-probability of a mass (flow-codec's tests code them with it).
      const pixels = Float32Array.from((await loadMnist('test')).images.subarray(0, check.images * 784));
      const total = tf.tidy(() => tf.sum(model.logProb(tf.tensor(pixels, [check.images, ...model.eventShape]))).dataSync()[0]);
      const bpd = -total / (check.images * 784 * Math.LN2);
      expect(Math.abs(bpd - check.bitsPerDim)).toBeLessThan(check.tolerance);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      return;
    }
    const points = toyByName(check.data).sample(check.points, { random: check.seed });
    const mean = tf.tidy(() => tf.mean(model.logProb(points)).dataSync()[0]);
    points.dispose();
    expect(Math.abs(mean - check.meanLogProb)).toBeLessThan(check.tolerance);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('names: a pretrained: reference maps to a shipped name only; anything else is refused with the list', () => {
    expect(pretrainedName('pretrained:two-gaussians-realnvp')).toBe('two-gaussians-realnvp');
    expect(pretrainedName('runs/toy/model')).toBeNull();
    expect(() => pretrainedName('pretrained:mnist-glow')).toThrow(/no pretrained model is called 'mnist-glow'; the shipped models are two-gaussians-realnvp, /);
    // A name that would climb out of models/ is not a name: refused, and not echoed.
    expect(() => pretrainedName('pretrained:../../core/package')).toThrow(/no pretrained model is called that name/);
    expect(() => pretrainedModelUrl('../x')).toThrow(/no pretrained model/);
    expect(pretrainedModelUrl('chequerboard-spline')).toMatch(/\/models\/chequerboard-spline\/$/);
  });

  it('every card says how it was made and what it reaches', () => {
    for (const name of PRETRAINED_NAMES) {
      const card = pretrainedCard(name);
      expect(card.name).toBe(name);
      for (const text of [card.title, card.app, card.data, card.preprocessing, card.architecture, card.command, card.trainingTime, card.figure.measuredOn])
        expect(text.length).toBeGreaterThan(3);
      expect(Number.isFinite(card.figure.value)).toBe(true);
    }
  });
});
