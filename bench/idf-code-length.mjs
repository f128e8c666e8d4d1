#!/usr/bin/env node
// `pnpm --filter @flows/bench idf`: an integer discrete flow trained briefly on MNIST's 8-bit pixels,
// then its test images coded with @flows/codec's rANS coder, to compare the real code length with
// the model's own negative log-likelihood (the goal: within 1 %). Prints both in bits per
// dimension, and checks that every image decodes back exactly.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { integerWindow, popInteger, pushInteger, RansStack } from '@flows/codec';
import { loadMnist } from '@flows/datasets';
import { describeBackend, fit, integerDiscreteFlow, selectBackend, tensorData } from '@flows/flows';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(a === '--' && i === 0)),
  options: {
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '64' },
    layers: { type: 'string', default: '8' },
    hidden: { type: 'string', default: '256,256' },
    'train-images': { type: 'string', default: '60000' },
    'test-images': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '0' },
  },
});
console.error(describeBackend(await selectBackend()));
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
const trainCount = Math.min(train.count, Number(args['train-images']));
const testCount = Math.min(test.count, Number(args['test-images']));
const pixels = (split, count) => tf.tensor2d(Float32Array.from(split.images.subarray(0, count * 784)), [count, 784]);
const trainX = pixels(train, trainCount);
const testX = pixels(test, testCount);
const flow = integerDiscreteFlow({
  size: 784,
  layers: Number(args.layers),
  hidden: args.hidden.split(',').map(Number),
  mask: 'checkerboard',
  imageShape: [28, 28],
  baseLocation: 33,
  baseLogScale: Math.log(40),
  seed: Number(args.seed),
});
const steps = Number(args.steps);
const batch = Number(args.batch);
const started = performance.now();
await fit(flow, tensorData(trainX), {
  steps,
  epochs: Math.ceil((steps * batch) / trainCount),
  batchSize: batch,
  learningRate: 1e-3,
  random: Number(args.seed) + 1,
  reportEvery: 100,
  onProgress: (p) => process.stderr.write(`\rstep ${p.step}/${steps}  loss ${(p.loss / 784 / Math.LN2).toFixed(4)} bits/dim  `),
});
process.stderr.write(`\ntrained ${steps} steps in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

// The model's own NLL on the test images, in bits per dimension.
const logProb = flow.logProb(testX);
const nllBits = -(await tf.sum(logProb).data())[0] / Math.LN2;
logProb.dispose();

// Code: z = f⁻¹(x) (integers), each coordinate under the base's discretized logistic.
const z = flow.bijector.inverse(testX);
const latents = await z.data();
const loc = await flow.base.loc.data();
const logScale = await flow.base.logScale.data();
const codeStarted = performance.now();
// One window per coordinate: the base is the same for every image.
const windows = Array.from({ length: 784 }, (_, i) => integerWindow(loc[i], logScale[i]));
const stack = new RansStack();
for (let k = 0; k < latents.length; k++) pushInteger(stack, latents[k], windows[k % 784]);
const codeSeconds = (performance.now() - codeStarted) / 1000;
const bytes = stack.toBytes();
// Decode and check: every latent back, then the images through the flow.
const reader = RansStack.fromBytes(bytes);
const decoded = new Float32Array(latents.length);
for (let k = latents.length - 1; k >= 0; k--) decoded[k] = popInteger(reader, windows[k % 784]);
const images = flow.bijector.forward(tf.tensor2d(decoded, [testCount, 784]));
const original = await testX.data();
const same = (await images.data()).every((v, k) => v === original[k]);
const dims = testCount * 784;
const coded = (8 * bytes.length) / dims;
const ideal = nllBits / dims;
console.log(
  `IDF on MNIST (${trainCount} training images, ${steps} steps of ${batch}; ${testCount} test images):\n` +
    `  model NLL:    ${ideal.toFixed(4)} bits/dim\n` +
    `  rANS code:    ${coded.toFixed(4)} bits/dim (${bytes.length} bytes; ${((coded / ideal - 1) * 100).toFixed(2)} % over the NLL; coded in ${codeSeconds.toFixed(1)} s)\n` +
    `  decoded back: ${same ? 'every pixel exact' : 'MISMATCH'}`,
);
if (!same) process.exit(1);
