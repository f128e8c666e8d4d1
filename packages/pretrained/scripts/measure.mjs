#!/usr/bin/env node
// Measures what a model card records for a model folder: its size on disk and the card's
// `check`, on the backend selectBackend picks: the mean natural-log density of a fixed, seeded draw
// of a toy, or (--data mnist) the test bits per dimension of the first --images MNIST test images
// with fixed dequantization noise (--noise) through the logit view (--logit). Used to write the
// cards of the shipped models:
//
//   node packages/pretrained/scripts/measure.mjs --model runs/pretrained/two-gaussians-realnvp/model --data two-gaussians
//   node packages/pretrained/scripts/measure.mjs --model packages/pretrained/models/mnist-multiscale --data mnist --images 100
//
// Needs the workspace built.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { registerSplineBijectors } from '@flows/bijector-spline';
import '@flows/continuous';
import { imageBatches, loadMnist, toyByName } from '@flows/datasets';
import { loadModel } from '@flows/flows';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    points: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '20261206' },
    images: { type: 'string', default: '100' },
    noise: { type: 'string', default: '12345' },
    logit: { type: 'string', default: '0.000001' },
  },
});
if (!o.model || !o.data) throw new Error('give --model <folder> and --data <toy>');
registerSplineBijectors();
await selectBackend();
const bytes = readdirSync(o.model).reduce((sum, file) => sum + statSync(join(o.model, file)).size, 0);
const model = await loadModel(o.model);
const started = Date.now();
if (o.data === 'mnist') {
  // The pretrained test's computation: logProb plus the logit view's log-det, in bits per dimension.
  const [images, noiseSeed, alpha] = [Number(o.images), Number(o.noise), Number(o.logit)];
  const view = { kind: 'logit', alpha };
  let total = 0;
  for (const batch of imageBatches(await loadMnist('test'), { batchSize: 50, view, shuffle: false, noise: 'fixed', noiseSeed, limit: images, shape: 'image' }))
    total += tf.tidy(() => tf.sum(tf.add(model.logProb(batch.x), batch.logDet)).dataSync()[0]);
  const bitsPerDim = (-total / images / 784 + Math.log(256)) / Math.log(2);
  console.log(
    JSON.stringify({ backend: tf.getBackend(), sizeBytes: bytes, images, noiseSeed, logitAlpha: alpha, bitsPerDim, seconds: (Date.now() - started) / 1000 }),
  );
} else {
  const points = toyByName(o.data).sample(Number(o.points), { random: Number(o.seed) });
  const mean = (await model.logProb(points).mean().data())[0];
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      sizeBytes: bytes,
      points: Number(o.points),
      seed: Number(o.seed),
      meanLogProb: mean,
      seconds: (Date.now() - started) / 1000,
    }),
  );
}
