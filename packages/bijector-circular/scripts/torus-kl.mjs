#!/usr/bin/env node
// Trains a flow on the torus toy of @flows/datasets (a mixture of products of von Mises on
// [-π, π)², one component across the corner) and reports KL(p ‖ q) = E_p[log p − log q] on
// held-out samples, against its exact density:
//
//   node scripts/torus-kl.mjs --flow circular --steps 3000   # circular spline couplings on a von Mises base
//   node scripts/torus-kl.mjs --flow affine --steps 3000     # the same number of affine couplings on the plane
//
// --flow circular: circularFlow (a CircularShift and a CircularSplineCoupling per layer, periodic
// conditioners) on a learned VonMises base: a density on the torus. --flow affine: TransformerCoupling
// layers with the affine transformer and an ActNorm on a standard normal: a density on the plane,
// which has to squeeze its mass into the square and cannot wrap the corner component around.
// Needs the workspace built (pnpm --filter @flows/bijector-circular build, and its dependencies).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { Random } from '@flows/core';
import { ActNorm, AffineTransformer, Chain, invertMask, TransformerCoupling } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution, VonMises } from '@flows/distributions';
import { toyByName } from '@flows/datasets';
import { Adam, schedules } from '@flows/optimizers';
import { circularFlow } from '@flows/bijector-circular';

const { values: o } = parseArgs({
  options: {
    flow: { type: 'string', default: 'circular' },
    layers: { type: 'string', default: '4' },
    hidden: { type: 'string', default: '32,32' },
    bins: { type: 'string', default: '8' },
    steps: { type: 'string', default: '3000' },
    'batch-size': { type: 'string', default: '256' },
    lr: { type: 'string', default: '3e-3' },
    'test-size': { type: 'string', default: '20000' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
  },
});
const number = (name) => {
  const value = Number(o[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${o[name]}'`);
  return value;
};
const log = (...parts) => console.log(new Date().toISOString().slice(11, 19), ...parts);
const backend = await selectBackend({ backend: o.backend, nativeKernels: false });

const target = toyByName('torus');
const seed = number('seed');
const hidden = o.hidden.split(',').map(Number);
let flow;
if (o.flow === 'circular') {
  flow = new TransformedDistribution(new VonMises({ size: 2 }), circularFlow({ size: 2, layers: number('layers'), bins: number('bins'), hidden, seed }));
} else if (o.flow === 'affine') {
  const random = new Random(seed);
  const layers = Array.from(
    { length: number('layers') },
    (_, i) =>
      new TransformerCoupling({ mask: i % 2 === 0 ? [1, 0] : invertMask([1, 0]), transformer: new AffineTransformer(), hidden, seed: random.nextUint32() }),
  );
  flow = new TransformedDistribution(new StandardNormal(2), new Chain([...layers, new ActNorm({ size: 2 })]));
} else throw new Error(`--flow must be circular or affine, got '${o.flow}'`);
const weights = flow.trainableVariables.reduce((sum, v) => sum + v.size, 0);
log(`${o.flow} flow on the torus toy: ${o.layers} layers, hidden ${hidden}, ${weights} weights, backend ${backend.name}`);

const steps = number('steps');
const dataRandom = new Random(seed + 1);
tf.tidy(() => flow.logProb(target.sample(4096, { random: dataRandom })));
const optimizer = new Adam(flow.trainableVariables, {
  learningRate: schedules.cosine(number('lr'), steps, { warmupSteps: Math.min(200, steps / 10) }),
  clipNorm: 10,
});
const started = performance.now();
let recent = 0;
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const data = target.sample(number('batch-size'), { random: dataRandom });
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.uncheckedLogProb(data))), flow.trainableVariables);
    optimizer.applyGradients(grads);
    return value.dataSync()[0];
  });
  if (!Number.isFinite(loss)) throw new Error(`step ${step}: the loss is ${loss}; try a lower --lr`);
  recent += loss;
  if (step % 250 === 0 || step === steps) {
    log(`step ${step}/${steps} loss ${(recent / (step % 250 || 250)).toFixed(4)} ${((performance.now() - started) / 1000).toFixed(0)} s`);
    recent = 0;
  }
}
const trainSeconds = (performance.now() - started) / 1000;
const testSize = number('test-size');
const testRandom = new Random(seed + 2_000_003);
let sum = 0;
let squares = 0;
for (let done = 0; done < testSize; done += 2000) {
  const diff = tf.tidy(() => {
    const x = target.sample(Math.min(2000, testSize - done), { random: testRandom });
    return Array.from(tf.sub(target.logProb(x), flow.logProb(x)).dataSync());
  });
  for (const v of diff) {
    sum += v;
    squares += v * v;
  }
}
const kl = sum / testSize;
const standardError = Math.sqrt(Math.max(0, squares / testSize - kl * kl) / testSize);
// The share of the model's samples that fall on the torus' square (all of them for the circular flow).
const samples = flow.sample(5000, { random: seed + 3 });
const inside = tf.tidy(() => tf.mean(tf.cast(tf.all(tf.lessEqual(tf.abs(samples), Math.PI), 1), 'float32')).dataSync()[0]);
samples.dispose();
log(
  `KL ${kl.toFixed(4)} ± ${standardError.toFixed(4)} nats (entropy ${target.entropy().toFixed(4)}); ${(100 * inside).toFixed(1)} % of samples in the square; ${trainSeconds.toFixed(0)} s`,
);
if (o.out) {
  const result = { flow: o.flow, layers: number('layers'), hidden, weights, steps, seed, backend: backend.name, kl, standardError, inside, trainSeconds };
  writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
}
