#!/usr/bin/env node
// Times sampling a conditional flow with one context per row: 10 000 rows in one batched call
// (sample(n, { context }) with a [n, C] context) against 10 000 calls of one row each, the way a
// loop over observations would draw them (issue 35's goal). Same flow, backend and rows; the
// script checks that the two give the same draws for the same base points.
//
//   node scripts/context-sampling.mjs [--rows 10000] [--backend auto]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, realNVP, selectBackend } from '@flows/flows';

const { values: o } = parseArgs({ options: { rows: { type: 'string', default: '10000' }, backend: { type: 'string', default: 'auto' } } });
const rows = Number(o.rows);
const backend = await selectBackend({ backend: o.backend });
console.log(describeBackend(backend));
// A conditional Real NVP of the size the SBI examples use: 2-D events, a 4-D context.
const flow = realNVP({ size: 2, layers: 8, hidden: [64, 64], contextSize: 4, seed: 0 });
const contexts = tf.randomNormal([rows, 4], 0, 1, 'float32', 1);
const base = tf.randomNormal([rows, 2], 0, 1, 'float32', 2);
const forward = (u, c) => flow.bijector.forward(u, c);

tf.tidy(() => forward(base.slice([0, 0], [64, 2]), contexts.slice([0, 0], [64, 4])).dataSync()); // warm-up
let started = performance.now();
const batched = tf.tidy(() => forward(base, contexts).dataSync());
const batchedSeconds = (performance.now() - started) / 1000;

const single = new Float32Array(2 * rows);
started = performance.now();
for (let i = 0; i < rows; i++) {
  const y = tf.tidy(() => forward(base.slice([i, 0], [1, 2]), contexts.slice([i, 0], [1, 4])).dataSync());
  single[2 * i] = y[0];
  single[2 * i + 1] = y[1];
}
const singleSeconds = (performance.now() - started) / 1000;
let worst = 0;
for (let k = 0; k < single.length; k++) worst = Math.max(worst, Math.abs(single[k] - batched[k]));
console.log(
  `${rows} rows, each under its own context: one batched call ${(batchedSeconds * 1000).toFixed(1)} ms; ${rows} single-row calls ${singleSeconds.toFixed(2)} s (${(singleSeconds / batchedSeconds).toFixed(0)} times longer); largest difference ${worst.toExponential(1)}`,
);
tf.dispose([contexts, base]);
flow.dispose();
