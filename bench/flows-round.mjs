#!/usr/bin/env node
// One round of the project's side of `pnpm bench`, in a process of its own so that the rounds of
// the project and of the peers can alternate (flows, numpy, flows, numpy, …) and no round inherits
// another's heap, caches or thread pools. Prints one line `RESULT {json}`.
//
// The model is the peers' benchmark model (Real NVP, 8 masked coupling layers on 784 dimensions,
// 784-256-256-784 ReLU MLPs for scale and translation, tanh on the scale, checkerboard masks, Adam
// lr 1e-3). With --conv it also times a training step of the multi-scale convolutional flow at
// mnist-flow's defaults (`train --architecture multiscale`: 2 levels of 4 steps, 32-32 channels).
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { startBackend } from '@flows/cli-kit';
import { Adam, describeBackend, multiScaleFlow, realNVP } from '@flows/flows';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    batch: { type: 'string', default: '256,1024' },
    steps: { type: 'string', default: '8' },
    conv: { type: 'string', default: '' },
    native: { type: 'boolean', default: false },
    'no-native': { type: 'boolean', default: false },
  },
});
const batches = args.batch.split(',').map(Number);
const steps = Number(args.steps);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function benchmarkModel() {
  return realNVP({ size: 784, layers: 8, hidden: [256, 256], activation: 'relu', mask: 'checkerboard', imageShape: [28, 28], scaleTanh: true, seed: 0 });
}

/** Data like dequantized MNIST: (floor(256 u) + u') / 256, as the peers use. */
function dequantized(batch) {
  const random = new Random(7);
  const values = new Float32Array(batch * 784);
  for (let i = 0; i < values.length; i++) values[i] = (Math.floor(random.uniform() * 256) + random.uniform()) / 256;
  return values;
}

const read = async (tensor) => {
  const value = (await tensor.data())[0];
  tensor.dispose();
  return value;
};

/** Seconds per call: the median of `rounds` rounds of `n` queued calls each (one read-back per round), after a warm-up round. */
async function time(fn, n, rounds = 3) {
  const perCall = [];
  for (let round = -1; round < rounds; round++) {
    const t0 = performance.now();
    let last = null;
    for (let i = 0; i < n; i++) {
      last?.dispose();
      last = fn();
    }
    await read(last);
    if (round >= 0) perCall.push((performance.now() - t0) / n);
  }
  return median(perCall) / 1000;
}

function trainStepOf(model, optimizer, x) {
  const variables = model.trainableVariables;
  return () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x))), variables);
      optimizer.applyGradients(grads);
      return value;
    });
}

async function measureDense(batch) {
  const model = benchmarkModel();
  const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
  const x = tf.tensor2d(dequantized(batch), [batch, 784]);
  const trainStep = trainStepOf(model, optimizer, x);
  const logProb = () => tf.tidy(() => model.uncheckedLogProb(x));
  const firstLoss = await read(trainStep());
  const train = await time(trainStep, steps);
  const density = await time(logProb, steps);
  const lastLoss = await read(trainStep());
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  return { train: batch / train, logprob: batch / density, trainStepMs: train * 1000, logprobMs: density * 1000, firstLoss, lastLoss };
}

/** mnist-flow's multi-scale flow at its defaults, on logit-preprocessed data (α = 10⁻⁶) of `batch` images. */
async function measureMultiScale(batch) {
  const model = multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: 4, hidden: [32, 32], seed: 0 });
  const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
  const alpha = 1e-6;
  const values = dequantized(batch).map((v) => {
    const p = alpha + (1 - 2 * alpha) * v;
    return Math.log(p) - Math.log1p(-p);
  });
  const x = tf.tensor2d(values, [batch, 784]);
  const trainStep = trainStepOf(model, optimizer, x);
  const firstLoss = await read(trainStep());
  const train = await time(trainStep, 2, 2);
  const lastLoss = await read(trainStep());
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  return { batch, train: batch / train, trainStepMs: train * 1000, firstLoss, lastLoss };
}

/** The backend's matrix-product rate on the benchmark's widest product (256 × 784 by 784 × 1024), in GFLOP/s. */
async function productRate() {
  const a = tf.randomNormal([256, 784], 0, 1, 'float32', 1);
  const b = tf.randomNormal([784, 1024], 0, 1, 'float32', 2);
  const seconds = await time(() => tf.matMul(a, b), 15, 3);
  tf.dispose([a, b]);
  return (2 * 256 * 784 * 1024) / seconds / 1e9;
}

/**
 * WebGPU only: compute dispatches per training step of the benchmark model, split into the forward
 * and backward passes and the optimizer (fused WGSL Adam, Adam from tensor kernels, tf.train.adam).
 * On a GPU each dispatch has a fixed cost, so this count, unlike a software adapter's timings, says
 * something on any machine.
 */
async function countDispatches() {
  const backend = tf.backend();
  const original = backend.runWebGPUProgram;
  let count = 0;
  backend.runWebGPUProgram = function (...a) {
    count += 1;
    return original.apply(this, a);
  };
  const model = benchmarkModel();
  const variables = model.trainableVariables;
  const x = tf.tensor2d(dequantized(16), [16, 784]);
  const counted = async (fn) => {
    count = 0;
    const out = fn();
    const n = count;
    await out?.data?.();
    tf.dispose(out);
    return n;
  };
  const gradients = () => tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x))), variables);
  const passes = await counted(() => tf.tidy(() => gradients().value));
  const optimizerCount = async (make) => {
    const { grads, value } = gradients();
    const optimizer = make();
    const n = await counted(() => {
      optimizer.applyGradients(grads);
      return null;
    });
    optimizer.dispose();
    tf.dispose([value, ...Object.values(grads)]);
    return n;
  };
  const fused = await optimizerCount(() => new Adam(variables, { deviceKernels: 'fused' }));
  const tensors = await optimizerCount(() => new Adam(variables, { deviceKernels: 'tensors' }));
  const stock = await optimizerCount(() => tf.train.adam(1e-3));
  backend.runWebGPUProgram = original;
  tf.dispose(x);
  model.dispose();
  return `dispatches per training step (${variables.length} variables): forward and backward ${passes}; optimizer: fused WGSL Adam ${fused}, Adam from tensor kernels ${tensors}, tf.train.adam ${stock}`;
}

// As the apps start theirs (the benchmark model's steps are large: threads go to the native kernels
// by default); the line on stderr is for a failed round's message.
const choice = await startBackend(
  { backend: args.backend, threads: args.threads ? Number(args.threads) : undefined, native: args['native'], 'no-native': args['no-native'] },
  Number.POSITIVE_INFINITY,
);
const nativeRuns = Boolean(choice.nativeKernels && 'threads' in choice.nativeKernels);
const result = {
  backend: choice.name,
  label: nativeRuns ? `${choice.name}+native` : choice.name,
  description: describeBackend(choice),
  products: nativeRuns ? choice.nativeKernels.products : undefined,
  nativeThreads: nativeRuns ? choice.nativeKernels.threads : undefined,
  productGflops: await productRate(),
  dense: {},
};
for (const batch of batches) result.dense[batch] = await measureDense(batch);
if (choice.name === 'webgpu') result.dispatches = await countDispatches();
if (Number(args.conv) > 0) result.multiScale = await measureMultiScale(Number(args.conv));
console.log(`RESULT ${JSON.stringify(result)}`);
