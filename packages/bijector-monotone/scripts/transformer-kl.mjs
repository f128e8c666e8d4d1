#!/usr/bin/env node
// Trains one flow on a toy with an exact density and reports KL(p ‖ q) = E_p[log p − log q] on
// held-out samples (toy-flow's direct estimate), so that the transformers of this package can be
// set beside the affine one in layers of the same size (same layers, masks or orders, conditioner
// widths, steps, batch and learning rate; only the transformer differs).
//
//   node scripts/transformer-kl.mjs --data chequerboard --transformer umnn --kind coupling --steps 4000
//   node scripts/transformer-kl.mjs --data product-6d --transformer affine --kind coupling
//
// --data: chequerboard, or product-6d (eight-gaussians × two-gaussians × rings, coordinates
// (1, 2), (3, 4), (5, 6): a 6-D toy whose exact log-density is the sum of the three).
// --transformer: affine, umnn, sos, bernstein, dsf. --kind: coupling (TransformerCoupling, with
// alternating masks; monotone transformers inverted, so the density direction is their closed
// form) or autoregressive (MaskedAutoregressive, orders reversed each layer).
// The flow ends in an ActNorm, so the data reach the transformers standardised.
//
// --backend: wasm (default, stock kernels) or cpu.
// Needs the workspace built (pnpm --filter @flows/bijector-monotone build, and its dependencies).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { Random } from '@flows/core';
import { ActNorm, AffineTransformer, alternatingMask, Chain, invertMask, MaskedAutoregressive, TransformerCoupling } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { toyByName } from '@flows/datasets';
import { Adam, schedules } from '@flows/optimizers';
import { BernsteinTransformer, DeepSigmoidalTransformer, InvertedTransformer, SumOfSquaresTransformer, UMNNTransformer } from '@flows/bijector-monotone';

const { values: o } = parseArgs({
  options: {
    data: { type: 'string', default: 'chequerboard' },
    transformer: { type: 'string', default: 'affine' },
    kind: { type: 'string', default: 'coupling' },
    layers: { type: 'string', default: '4' },
    hidden: { type: 'string', default: '32,32' },
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
// The stock wasm kernels, one thread: 5 to 20 times the cpu backend's speed on these small broadcasts,
// and no native threads to contend for a shared machine.
const backend = await selectBackend({ backend: o.backend, nativeKernels: false });

/** A product of 2-D toys as one D-dimensional target with an exact log-density. */
class ProductToy {
  constructor(parts) {
    this.parts = parts;
    this.eventShape = [2 * parts.length];
    this.name = `product of ${parts.map((p) => p.name).join(' × ')}`;
  }
  sample(n, { random }) {
    return tf.tidy(() =>
      tf.concat(
        this.parts.map((p) => p.sample(n, { random })),
        1,
      ),
    );
  }
  logProb(x) {
    return tf.tidy(() => tf.addN(this.parts.map((p, i) => p.logProb(tf.slice(x, [0, 2 * i], [x.shape[0], 2])))));
  }
  entropy() {
    return this.parts.reduce((sum, p) => sum + p.entropy(), 0);
  }
}

const target = o.data === 'product-6d' ? new ProductToy([toyByName('eight-gaussians'), toyByName('two-gaussians'), toyByName('rings')]) : toyByName(o.data);
const size = target.eventShape[0];

const TRANSFORMERS = {
  affine: () => new AffineTransformer(),
  umnn: () => new UMNNTransformer({ hidden: 8, panels: 16 }),
  sos: () => new SumOfSquaresTransformer({ squares: 3, degree: 3 }),
  bernstein: () => new BernsteinTransformer({ degree: 16 }),
  dsf: () => new DeepSigmoidalTransformer({ hidden: 8 }),
};
const makeTransformer = TRANSFORMERS[o.transformer];
if (!makeTransformer) throw new Error(`--transformer must be one of ${Object.keys(TRANSFORMERS).join(', ')}, got '${o.transformer}'`);
if (o.kind !== 'coupling' && o.kind !== 'autoregressive') throw new Error(`--kind must be coupling or autoregressive, got '${o.kind}'`);

const seed = number('seed');
const random = new Random(seed);
const hidden = o.hidden.split(',').map(Number);
const layers = [];
for (let i = 0; i < number('layers'); i++) {
  if (o.kind === 'autoregressive') {
    layers.push(
      new MaskedAutoregressive({ size, transformer: makeTransformer(), hidden, order: i % 2 === 0 ? 'natural' : 'reversed', seed: random.nextUint32() }),
    );
  } else {
    const mask = alternatingMask(size);
    const transformer = o.transformer === 'affine' ? makeTransformer() : new InvertedTransformer(makeTransformer());
    layers.push(new TransformerCoupling({ mask: i % 2 === 0 ? mask : invertMask(mask), transformer, hidden, seed: random.nextUint32() }));
  }
}
const flow = new TransformedDistribution(new StandardNormal(size), new Chain([...layers, new ActNorm({ size })]));
const parameterCount = flow.trainableVariables.reduce((sum, v) => sum + v.size, 0);
log(`${o.transformer} ${o.kind} on ${target.name}: ${layers.length} layers, hidden ${hidden}, ${parameterCount} weights`);

const steps = number('steps');
const batchSize = number('batch-size');
const dataRandom = new Random(seed + 1);
// The ActNorm takes its statistics from a first density call, outside the tape.
tf.tidy(() => flow.logProb(target.sample(4096, { random: dataRandom })));
const optimizer = new Adam(flow.trainableVariables, {
  learningRate: schedules.cosine(number('lr'), steps, { warmupSteps: Math.min(200, steps / 10) }),
  clipNorm: 10,
});
const started = performance.now();
let recent = 0;
const history = [];
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const data = target.sample(batchSize, { random: dataRandom });
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.uncheckedLogProb(data))), flow.trainableVariables);
    optimizer.applyGradients(grads);
    return value.dataSync()[0];
  });
  if (!Number.isFinite(loss)) throw new Error(`step ${step}: the loss is ${loss}; try a lower --lr`);
  recent += loss;
  if (step % 250 === 0 || step === steps) {
    const count = step % 250 === 0 ? 250 : step % 250;
    history.push({ step, loss: recent / count });
    log(`step ${step}/${steps} loss ${(recent / count).toFixed(4)} ${((performance.now() - started) / 1000).toFixed(0)} s`);
    recent = 0;
  }
}
const trainSeconds = (performance.now() - started) / 1000;

const testSize = number('test-size');
const testRandom = new Random(seed + 2_000_003);
let sum = 0;
let sumSquares = 0;
for (let done = 0; done < testSize; done += 2000) {
  const n = Math.min(2000, testSize - done);
  const diff = tf.tidy(() => {
    const x = target.sample(n, { random: testRandom });
    return Array.from(tf.sub(target.logProb(x), flow.logProb(x)).dataSync());
  });
  for (const v of diff) {
    sum += v;
    sumSquares += v * v;
  }
}
const kl = sum / testSize;
const standardError = Math.sqrt(Math.max(0, sumSquares / testSize - kl * kl) / testSize);
// Sampling runs the other direction (the root search for the monotone transformers): time it too.
const samplingStarted = performance.now();
const samples = flow.sample(2000, { random: seed + 3 });
const finiteSamples = tf.tidy(() => tf.all(tf.isFinite(samples)).dataSync()[0] === 1);
samples.dispose();
const samplingSeconds = (performance.now() - samplingStarted) / 1000;
log(
  `KL ${kl.toFixed(4)} ± ${standardError.toFixed(4)} nats (entropy ${target.entropy().toFixed(4)}); training ${trainSeconds.toFixed(0)} s, 2000 samples in ${samplingSeconds.toFixed(2)} s${finiteSamples ? '' : ' (NOT FINITE)'}`,
);
const result = {
  data: o.data,
  transformer: o.transformer,
  kind: o.kind,
  layers: layers.length,
  hidden,
  weights: parameterCount,
  steps,
  batchSize,
  learningRate: number('lr'),
  seed,
  backend: backend.name,
  kl,
  standardError,
  trainSeconds,
  samplingSeconds,
  finiteSamples,
  history,
};
if (o.out) writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
