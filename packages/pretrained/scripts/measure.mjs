#!/usr/bin/env node
// Measures what a model card records for a model folder: its size on disk and the mean
// natural-log density of a fixed, seeded draw of a toy (the card's `check`), on the backend
// selectBackend picks. Used to write the cards of the shipped models:
//
//   node packages/pretrained/scripts/measure.mjs --model runs/pretrained/two-gaussians-realnvp/model --data two-gaussians
//
// Needs the workspace built.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { registerSplineBijectors } from '@flows/bijector-spline';
import '@flows/continuous';
import { toyByName } from '@flows/datasets';
import { loadModel } from '@flows/flows';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    points: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '20261206' },
  },
});
if (!o.model || !o.data) throw new Error('give --model <folder> and --data <toy>');
registerSplineBijectors();
await selectBackend();
const bytes = readdirSync(o.model).reduce((sum, file) => sum + statSync(join(o.model, file)).size, 0);
const model = await loadModel(o.model);
const points = toyByName(o.data).sample(Number(o.points), { random: Number(o.seed) });
const started = Date.now();
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
