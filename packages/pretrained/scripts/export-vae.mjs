#!/usr/bin/env node
// Turns a VAE trained by vae-eval (its run folder's checkpoint) into a shipped model: model.json and
// its weights (the optimizer state stays behind), and measures the card's check from what was
// written: the mean negative ELBO in nats of the first --images test images, binarized as the run
// was (stochastically with the test seed, or at the threshold), one z per image from Random(--noise).
//
//   node packages/pretrained/scripts/export-vae.mjs --run runs/vae-flow-stochastic/flow/run-1 --out packages/pretrained/models/mnist-vae-flow-stochastic
//
// Needs the workspace built.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { binarizedSplit, loadMnist, MNIST_BINARIZATION_SEEDS } from '@flows/datasets';
import { loadCheckpoint, loadModel, saveModel } from '@flows/model-files';
import { vaeFromJSON } from '@flows/vae-priors';

const { values: o } = parseArgs({
  options: {
    run: { type: 'string' },
    out: { type: 'string' },
    images: { type: 'string', default: '100' },
    noise: { type: 'string', default: '12345' },
  },
});
if (!o.run || !o.out) throw new Error('give --run <vae-eval run folder> and --out <folder>');
await selectBackend();
const results = JSON.parse(readFileSync(join(o.run, '..', '..', 'results.json'), 'utf8'));
const binarization = results.settings.binarization ?? 'threshold';
const { model: trained } = await loadCheckpoint(join(o.run, 'checkpoint'), vaeFromJSON);
await saveModel(trained, o.out, { app: 'vae-eval', binarization });
trained.dispose();
const vae = await loadModel(o.out, vaeFromJSON);
const images = Number(o.images);
const test = binarizedSplit(await loadMnist('test'), binarization, MNIST_BINARIZATION_SEEDS.test);
const x = tf.tidy(() => tf.cast(tf.greater(tf.tensor2d(test.images.subarray(0, images * 784), [images, 784], 'int32'), 127), 'float32'));
const terms = vae.elbo(x, { random: Number(o.noise) });
const negativeElbo = -(await terms.elbo.mean().data())[0];
const bytes = readdirSync(o.out).reduce((sum, file) => sum + statSync(join(o.out, file)).size, 0);
console.log(JSON.stringify({ backend: tf.getBackend(), binarization, sizeBytes: bytes, images, noise: Number(o.noise), negativeElboNats: negativeElbo }));
