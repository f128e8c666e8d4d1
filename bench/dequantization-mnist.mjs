#!/usr/bin/env node
// Which of Flow++'s parts pay on MNIST per unit of compute (issue 32 item 1): the same two-level
// multi-scale flow with plain ConvNet or gated residual coupling networks, trained on uniformly or
// variationally dequantized images, each for the same budget of CPU time (the process's user and
// system time, both threads: steadier than wall-clock time on a shared machine; Adam 1e-3, batch 64), then
// scored on the first --test test images: uniform dequantization by the density of the images with
// fixed noise; variational dequantization by its bound (one draw, and the importance-weighted bound
// of --draws draws). Both models are the same distribution of pixels y in [0, 1): the multi-scale
// flow on logits, then the logit view undone (`Invert(Logit(1e-6))`, its log-det counted), with
// y = (v + u)/256 (bin 1/256), as the shipped flow's. Prints one JSON line a variant.
//
//   node bench/dequantization-mnist.mjs [--variants uniform-conv,uniform-gated,variational-conv,variational-gated]
//        [--cpu-seconds 600] [--steps-per-level 2] [--channels 32] [--test 1000] [--draws 8] [--seed 0]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { imageBatches, loadMnist } from '@flows/datasets';
import { Chain, Invert, Logit } from '@flows/bijectors';
import { TransformedDistribution, VariationalDequantization } from '@flows/distributions';
import { Adam, bitsPerDimension, describeBackend, multiScaleFlow, selectBackend, variationalDequantizer } from '@flows/flows';

const { values: o } = parseArgs({
  options: {
    variants: { type: 'string', default: 'uniform-conv,uniform-gated,variational-conv,variational-gated' },
    'cpu-seconds': { type: 'string', default: '600' },
    'steps-per-level': { type: 'string', default: '2' },
    channels: { type: 'string', default: '32' },
    test: { type: 'string', default: '1000' },
    draws: { type: 'string', default: '8' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
  },
});
console.error(describeBackend(await selectBackend()));
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
const budget = Number(o['cpu-seconds']);
/** CPU seconds of this process since `start` (user and system, every thread). */
const cpuSince = (start) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
};
const channels = Number(o.channels);
const shape = [28, 28, 1];
const bin = 1 / 256;
const seed = Number(o.seed);

for (const variant of o.variants.split(',')) {
  const [dequantization, conditioner] = variant.split('-');
  const logits = multiScaleFlow({
    shape,
    levels: 2,
    stepsPerLevel: Number(o['steps-per-level']),
    ...(conditioner === 'gated' ? { conditioner: 'gated-residual', hidden: [channels], blocks: 1 } : { hidden: [channels, channels] }),
    seed,
  });
  // Forward: base → logits → pixels in (0, 1).
  const flow = new TransformedDistribution(logits.base, new Chain([logits.bijector, new Invert(new Logit(1e-6))]));
  const vd =
    dequantization === 'variational'
      ? new VariationalDequantization({
          model: flow,
          dequantizer: variationalDequantizer({ shape, hidden: [16], steps: 2, couplingHidden: [16], seed: seed + 1 }),
          binWidth: bin,
          seed: seed + 2,
        })
      : null;
  const view = { kind: vd ? 'scaled' : 'dequantized' };
  const variables = vd ? vd.trainableVariables : flow.trainableVariables;
  const optimizer = new Adam(variables, { learningRate: 1e-3, clipNorm: 100 });
  const random = new Random(seed);
  // The views give v/255 (+ u/255); the models see v/256 (+ u/256).
  const shaped = (x) => tf.mul(tf.reshape(x, [x.shape[0], ...shape]), 255 / 256);
  let steps = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  outer: for (;;) {
    for (const batch of imageBatches(train, { batchSize: Number(o.batch), view, random, dropLast: true })) {
      tf.tidy(() => {
        const x = shaped(batch.x);
        if (steps === 0) flow.logProb(vd ? tf.add(x, bin / 2) : x).dispose(); // ActNorm's data-dependent start
        const { grads } = tf.variableGrads(() => (vd ? vd.loss(x, random) : tf.neg(tf.mean(flow.logProb(x)))), variables);
        optimizer.applyGradients(grads);
      });
      tf.dispose(Object.values(batch));
      steps++;
      if (cpuSince(cpuStart) > budget) break outer;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpuStart);
  let bound = 0;
  let weighted = 0;
  let count = 0;
  for (const batch of imageBatches(test, { batchSize: 100, view, shuffle: false, noise: 'fixed', limit: Number(o.test) })) {
    tf.tidy(() => {
      const x = shaped(batch.x);
      bound += tf.sum(vd ? vd.elbo(x, { random: 3 }) : flow.logProb(x)).dataSync()[0];
      if (vd) weighted += tf.sum(vd.importanceWeightedLogProb(x, Number(o.draws), { random: 4 })).dataSync()[0];
    });
    tf.dispose(Object.values(batch));
    count += 100;
  }
  const bpd = (total) => Number(bitsPerDimension(-total / count, 784, bin).toFixed(4));
  console.log(
    JSON.stringify({
      variant,
      seed,
      steps,
      seconds: Math.round(seconds),
      cpuSeconds: Math.round(cpuSeconds),
      samples: steps * Number(o.batch),
      testImages: count,
      testBpd: bpd(bound),
      ...(vd ? { importanceWeightedBpd: bpd(weighted), draws: Number(o.draws) } : {}),
    }),
  );
  optimizer.dispose();
  (vd ?? flow).dispose();
}
