#!/usr/bin/env node
// Which transformer pays on MNIST per unit of compute (issue 32 item 1: "whatever measurably helps
// per unit of compute here"): the same fully connected coupling flow (checkerboard masks, 784-D,
// logit preprocessing with its log-det counted, Adam 1e-3, batch 256) with each transformer,
// trained for the same wall-clock budget, then scored on the first --test test images with fixed
// dequantization noise. Prints one JSON line per transformer: steps, seconds, test bits/dim.
//
//   node bench/transformer-mnist.mjs [--transformers affine,logistic-mixture] [--seconds 240] [--layers 6] [--hidden 256,256] [--test 2000]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { imageBatches, loadMnist } from '@flows/datasets';
import { Adam, bitsPerDimension, couplingFlow, describeBackend, selectBackend } from '@flows/flows';

const { values: o } = parseArgs({
  options: {
    transformers: { type: 'string', default: 'affine,logistic-mixture' },
    seconds: { type: 'string', default: '240' },
    layers: { type: 'string', default: '6' },
    hidden: { type: 'string', default: '256,256' },
    test: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '256' },
  },
});
console.error(describeBackend(await selectBackend()));
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
const view = { kind: 'logit', alpha: 1e-6 };
const budget = Number(o.seconds) * 1000;
for (const transformer of o.transformers.split(',')) {
  const flow = couplingFlow({
    size: 784,
    layers: Number(o.layers),
    hidden: o.hidden.split(',').map(Number),
    mask: 'checkerboard',
    imageShape: [28, 28],
    transformer,
    ...(transformer === 'affine' ? { scaleTanh: true } : {}),
    seed: 0,
  });
  const optimizer = new Adam(flow.trainableVariables, { learningRate: 1e-3, clipNorm: 100 });
  const random = new Random(0);
  let steps = 0;
  const started = performance.now();
  outer: for (;;) {
    for (const batch of imageBatches(train, { batchSize: Number(o.batch), view, random, dropLast: true })) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.add(flow.logProb(batch.x), batch.logDet))), flow.trainableVariables);
        optimizer.applyGradients(grads);
      });
      steps++;
      if (performance.now() - started > budget) break outer;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  let total = 0;
  let count = 0;
  for (const batch of imageBatches(test, { batchSize: 500, view, shuffle: false, noise: 'fixed', limit: Number(o.test) })) {
    total += tf.tidy(() => tf.sum(tf.add(flow.logProb(batch.x), batch.logDet)).dataSync()[0]);
    count += batch.x.shape[0];
  }
  const bpd = bitsPerDimension(-total / count, 784, 1 / 256);
  console.log(
    JSON.stringify({ transformer, steps, seconds: Math.round(seconds), samples: steps * Number(o.batch), testImages: count, testBpd: Number(bpd.toFixed(4)) }),
  );
  optimizer.dispose();
  flow.dispose();
}
