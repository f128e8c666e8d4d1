#!/usr/bin/env node
// Trains a continuous flow on a 2-D toy with an exact density (TwoGaussians, Chequerboard) by flow
// matching (or maximum likelihood), then measures what the README reports: the KL from the exact
// density on held-out points (E_p[log p − log q], as toy-flow's klDirect), the function evaluations
// per sample and the time of the log-density and of sampling, the adaptive solver's log-density
// against a fine reference solve, and Hutchinson's estimate against the exact trace.
//
//   node scripts/toy-kl.mjs --data chequerboard --steps 20000 --out runs/cnf-chequerboard
//   node scripts/toy-kl.mjs --data chequerboard --steps 200000 --position-features 6 --standardize \
//     --time-sampling power --time-scale 2 --lr 5e-3 --ema 0.999 --out runs/chequerboard   (the README's recipe)
//   node scripts/toy-kl.mjs --data chequerboard --model runs/cnf-chequerboard/model   (measure a saved flow again)
//
// Needs the workspace built (pnpm --filter @flows/continuous build, and its dependencies).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { DiagonalNormal } from '@flows/distributions';
import { toyByName } from '@flows/datasets';
import { selectBackend } from '@flows/backends';
import { loadModel, saveModel } from '@flows/model-files';
import { Adam, schedules } from '@flows/optimizers';
import { ContinuousFlow, flowMatchingLoss, maximumLikelihoodLoss, MLPVectorField, WeightAverage } from '@flows/continuous';

const { values: o } = parseArgs({
  options: {
    data: { type: 'string', default: 'two-gaussians' },
    objective: { type: 'string', default: 'flow-matching' },
    path: { type: 'string', default: 'ot' },
    'sigma-min': { type: 'string', default: '1e-4' },
    coupling: { type: 'string', default: 'independent' },
    steps: { type: 'string', default: '10000' },
    'batch-size': { type: 'string', default: '512' },
    lr: { type: 'string', default: '2e-3' },
    hidden: { type: 'string', default: '128,128,128' },
    activation: { type: 'string', default: 'swish' },
    'time-features': { type: 'string', default: '2' },
    'position-features': { type: 'string', default: '0' },
    'likelihood-steps': { type: 'string', default: '8' },
    ema: { type: 'string', default: '0' },
    'max-minutes': { type: 'string', default: '0' },
    'time-sampling': { type: 'string', default: 'uniform' },
    'time-location': { type: 'string', default: '0' },
    'time-scale': { type: 'string', default: '1' },
    'eval-method': { type: 'string', default: 'dopri5' },
    'eval-steps': { type: 'string', default: '100' },
    rtol: { type: 'string', default: '1e-6' },
    atol: { type: 'string', default: '1e-6' },
    'test-size': { type: 'string', default: '20000' },
    'eval-batch': { type: 'string', default: '2000' },
    'check-size': { type: 'string', default: '500' },
    draws: { type: 'string', default: '50' },
    seed: { type: 'string', default: '0' },
    standardize: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string' },
    model: { type: 'string' },
  },
});

const number = (name) => {
  const value = Number(o[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${o[name]}'`);
  return value;
};
const seed = number('seed');
const steps = number('steps');
const batchSize = number('batch-size');
const hidden = o.hidden.split(',').map(Number);
const solver =
  o['eval-method'] === 'rk4'
    ? { method: 'rk4', steps: number('eval-steps') }
    : { method: 'dopri5', rtol: number('rtol'), atol: number('atol'), maxSteps: 20000 };
const log = (...parts) => console.log(new Date().toISOString().slice(11, 19), ...parts);

const backend = await selectBackend({ backend: o.backend });
log(`backend ${backend.name}${backend.nativeKernels && 'threads' in backend.nativeKernels ? ' with native kernels' : ''}`);

const target = toyByName(o.data);
let flow;
let trainSeconds = 0;
let stoppedAt = null;
const history = [];
if (o.model) {
  // A saved flow, measured again with this run's solver settings.
  const loaded = await loadModel(resolve(o.model));
  flow = new ContinuousFlow({ field: loaded.field, base: loaded.base, solver, trace: loaded.trace });
  log(`loaded ${o.model}`);
} else {
  const field = new MLPVectorField({
    size: 2,
    hidden,
    activation: o.activation,
    timeFeatures: number('time-features'),
    positionFeatures: number('position-features'),
    seed,
  });
  // --standardize: the base is a fixed normal with the data's mean and standard deviation per
  // coordinate instead of N(0, I), which is the same as standardizing the data (an affine map), so the
  // field works at the data's scale.
  let base;
  if (o.standardize) {
    const [mean, variance] = tf.tidy(() => {
      const moments = tf.moments(target.sample(100_000, { random: seed + 6 }), 0);
      return [Array.from(moments.mean.dataSync()), Array.from(moments.variance.dataSync())];
    });
    base = new DiagonalNormal({ size: 2, mean, logScale: variance.map((v) => 0.5 * Math.log(v)), trainable: false });
  }
  flow = new ContinuousFlow({ field, base, solver });
  const optimizer = new Adam(flow.trainableVariables, { learningRate: schedules.cosine(number('lr'), steps, { warmupSteps: Math.min(500, steps / 10) }) });
  const random = new Random(seed + 1);
  // --ema: evaluate and save an exponential moving average of the weights instead of the last iterate.
  const average = number('ema') > 0 ? new WeightAverage(flow.trainableVariables, { decay: number('ema') }) : null;
  const timeSampling =
    o['time-sampling'] === 'uniform'
      ? 'uniform'
      : o['time-sampling'] === 'power'
        ? { distribution: 'power', exponent: number('time-scale') }
        : { distribution: o['time-sampling'], location: number('time-location'), scale: number('time-scale') };

  // ---- training ----
  const started = performance.now();
  const maxMinutes = number('max-minutes') > 0 ? number('max-minutes') : Number.POSITIVE_INFINITY;
  let recent = 0;
  for (let step = 1; step <= steps; step++) {
    const loss = tf.tidy(() => {
      const data = target.sample(batchSize, { random });
      const objective =
        o.objective === 'likelihood'
          ? () => maximumLikelihoodLoss(flow, data, { solver: { method: 'rk4', steps: number('likelihood-steps') } })
          : () => flowMatchingLoss(flow, data, { random, path: o.path, sigmaMin: number('sigma-min'), coupling: o.coupling, timeSampling });
      const { value, grads } = tf.variableGrads(objective, flow.trainableVariables);
      optimizer.applyGradients(grads);
      average?.update();
      return value.dataSync()[0];
    });
    recent += loss;
    // --max-minutes: a wall-clock limit on the training (on a shared machine the rate varies), which
    // ends it before the schedule does; the steps done are recorded.
    if ((performance.now() - started) / 60_000 > maxMinutes && step < steps) {
      log(`stopped at step ${step} of ${steps}: --max-minutes ${maxMinutes} reached`);
      history.push({ step, loss: recent / (step % 500 || 500) });
      stoppedAt = step;
      break;
    }
    if (step % 500 === 0 || step === steps) {
      const count = step % 500 === 0 ? 500 : step % 500;
      history.push({ step, loss: recent / count });
      log(`step ${step}/${steps} loss ${(recent / count).toFixed(4)} ${((performance.now() - started) / 1000).toFixed(0)} s`);
      recent = 0;
    }
  }
  trainSeconds = (performance.now() - started) / 1000;
  if (average) {
    average.copyToVariables();
    average.dispose();
  }
}

// ---- KL on held-out points, with the log-density's cost ----
const testSize = number('test-size');
const evalBatch = number('eval-batch');
const testRandom = new Random(seed + 2_000_003);
let sumDiff = 0;
let sumSquares = 0;
let sumNll = 0;
let densityNfe = 0;
let batches = 0;
const densityStarted = performance.now();
for (let done = 0; done < testSize; done += evalBatch) {
  const size = Math.min(evalBatch, testSize - done);
  const [diff, nll] = tf.tidy(() => {
    const x = target.sample(size, { random: testRandom });
    const logQ = flow.logProb(x);
    const d = tf.sub(target.logProb(x), logQ);
    return [Array.from(d.dataSync()), -tf.sum(logQ).dataSync()[0]];
  });
  densityNfe += flow.lastSolveStats.nfe;
  batches += 1;
  for (const v of diff) {
    sumDiff += v;
    sumSquares += v * v;
  }
  sumNll += nll;
}
const densitySeconds = (performance.now() - densityStarted) / 1000;
const kl = sumDiff / testSize;
const klStandardError = Math.sqrt(Math.max(0, sumSquares / testSize - kl * kl) / testSize);
const entropy = target.entropy();
log(`KL ${kl.toFixed(4)} ± ${klStandardError.toFixed(4)} nats (test NLL ${(sumNll / testSize).toFixed(4)}, entropy ${entropy.toFixed(4)})`);

// ---- sampling cost ----
const samplingStarted = performance.now();
const sampled = flow.sample(testSize, { random: seed + 3 });
await sampled.data();
sampled.dispose();
const samplingSeconds = (performance.now() - samplingStarted) / 1000;
const samplingNfe = flow.lastSolveStats.nfe;

// ---- the adaptive solver against a reference, and Hutchinson against the exact trace ----
const checkSize = number('check-size');
const check = target.sample(checkSize, { random: seed + 4 });
const adaptive = flow.logProb(check);
const reference = flow.logProbWith(check, { solver: { method: 'dopri5', rtol: 1e-8, atol: 1e-8, maxSteps: 20000 } });
const referenceNfe = flow.lastSolveStats.nfe;
const solverGap = tf.tidy(() => {
  const gap = tf.abs(tf.sub(adaptive, reference));
  return { max: tf.max(gap).dataSync()[0], mean: tf.mean(gap).dataSync()[0] };
});
log(
  `${solver.method === 'rk4' ? `RK4 (${solver.steps} steps)` : `adaptive (rtol ${solver.rtol})`} vs reference (rtol 1e-8, ${referenceNfe} evaluations): max ${solverGap.max.toExponential(2)}, mean ${solverGap.mean.toExponential(2)} nats`,
);
const probeRandom = new Random(seed + 5);
const draws = number('draws');
const hutchinsonSum = new Float64Array(checkSize);
const hutchinsonSquares = new Float64Array(checkSize);
for (let k = 0; k < draws; k++) {
  const estimate = flow.logProbWith(check, { trace: { estimator: 'hutchinson', probe: 'rademacher' }, random: probeRandom });
  estimate.dataSync().forEach((v, i) => {
    hutchinsonSum[i] += v;
    hutchinsonSquares[i] += v * v;
  });
  estimate.dispose();
}
const exact = adaptive.dataSync();
let biasSum = 0;
let spreadSum = 0;
let varianceSum = 0;
for (let i = 0; i < checkSize; i++) {
  const mean = hutchinsonSum[i] / draws;
  const variance = Math.max(0, hutchinsonSquares[i] / draws - mean * mean) * (draws / (draws - 1));
  biasSum += mean - exact[i];
  spreadSum += Math.sqrt(variance);
  varianceSum += variance;
}
// The mean over points of each point's mean over draws: its standard error is √(Σ var_i / draws) / n.
const hutchinson = {
  draws,
  meanBias: biasSum / checkSize,
  biasStandardError: Math.sqrt(varianceSum / draws) / checkSize,
  meanStandardDeviation: spreadSum / checkSize,
};
log(
  `Hutchinson (1 Rademacher probe): mean bias ${hutchinson.meanBias.toExponential(2)} (± ${hutchinson.biasStandardError.toExponential(1)}), per-estimate SD ${hutchinson.meanStandardDeviation.toFixed(4)} nats`,
);
tf.dispose([check, adaptive, reference]);

const metrics = {
  data: o.data,
  objective: o.objective,
  path: o.path,
  sigmaMin: number('sigma-min'),
  coupling: o.coupling,
  settings: {
    steps,
    batchSize,
    lr: number('lr'),
    hidden,
    activation: o.activation,
    timeFeatures: number('time-features'),
    positionFeatures: number('position-features'),
    seed,
    solver,
    standardize: o.standardize,
    ema: number('ema'),
    timeSampling: o['time-sampling'],
    timeLocation: number('time-location'),
    timeScale: number('time-scale'),
  },
  backend: backend.name,
  kl,
  klStandardError,
  testNll: sumNll / testSize,
  entropy,
  testSize,
  trainSeconds,
  stoppedAt,
  trainSamplesPerSecond: trainSeconds > 0 ? (steps * batchSize) / trainSeconds : null,
  model: o.model ?? null,
  density: { nfePerSample: densityNfe / batches, seconds: densitySeconds, samplesPerSecond: testSize / densitySeconds },
  sampling: { nfePerSample: samplingNfe, seconds: samplingSeconds, samplesPerSecond: testSize / samplingSeconds },
  solverGap: { ...solverGap, referenceNfe },
  hutchinson,
  history,
};
console.log(JSON.stringify({ ...metrics, history: undefined }, null, 1));
if (o.out) {
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 1)}\n`);
  await saveModel(flow, join(out, 'model'), { script: 'toy-kl', data: o.data });
  log(`wrote ${join(out, 'metrics.json')} and the model`);
}
