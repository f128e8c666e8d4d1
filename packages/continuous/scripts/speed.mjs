#!/usr/bin/env node
// Times a continuous flow of the toys' trained size beside a Real NVP of about the same number of
// parameters, on the same backend: samples/s of sampling and of the log-density, for the cnf with
// Runge-Kutta 4 in a stated number of steps and with Dormand-Prince at the default tolerances
// (rtol = atol = 1e-6, the exact trace: 2-D), each with its function evaluations (NFE) per solve.
// The configurations run interleaved (round 1 of each, then round 2 of each, ...) after one
// untimed warm-up round, so that a change of the machine's load falls on all of them alike; it
// prints the median of the rounds and their range, with the load average before and after.
//
//   node scripts/speed.mjs --model runs/two-gaussians/model   (a cnf trained by toy-kl.mjs or toy-flow --flow cnf)
//   node scripts/speed.mjs --train-steps 5000                  (trains a 3 × 128 field by flow matching first)
//   options: --n 5000 points in --batch 1000, --rk4-steps 25, --repeats 5, --nvp-hidden 64,64, --backend, --threads 1
//
// The Dormand-Prince NFE depends on the field, so give it a trained one (the adaptive solver takes
// more steps where the field is sharper); RK4's cost and the Real NVP's do not depend on the weights.
// Needs the workspace built (pnpm --filter @flows/continuous build, and its dependencies).
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, describeBackend } from '@flows/backends';
import { realNVP } from '@flows/builders';
import { Random } from '@flows/core';
import { toyByName } from '@flows/datasets';
import { loadModel } from '@flows/model-files';
import { Adam, schedules } from '@flows/optimizers';
import { ContinuousFlow, DEFAULT_SOLVER, flowMatchingLoss, MLPVectorField } from '@flows/continuous';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: 'two-gaussians' },
    'train-steps': { type: 'string', default: '5000' },
    hidden: { type: 'string', default: '128,128,128' },
    n: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '1000' },
    'rk4-steps': { type: 'string', default: '25' },
    repeats: { type: 'string', default: '5' },
    'nvp-hidden': { type: 'string', default: '64,64' },
    backend: { type: 'string', default: 'auto' },
    // One thread by default: for models this small threads lose, badly on a shared machine (toy-flow's README).
    threads: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
  },
});
const number = (name) => {
  const value = Number(o[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${o[name]}'`);
  return value;
};
const log = (...parts) => console.error(new Date().toISOString().slice(11, 19), ...parts);
const parameters = (variables) => variables.reduce((sum, v) => sum + v.size, 0);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const backend = await selectBackend({ backend: o.backend, wasmThreads: number('threads') });
log(describeBackend(backend));
const seed = number('seed');
const target = toyByName(o.data);

// ---- the continuous flow: loaded, or trained here by flow matching ----
let flow;
let origin;
if (o.model) {
  flow = await loadModel(resolve(o.model));
  if (!(flow instanceof ContinuousFlow)) throw new Error(`${o.model}: not a continuous flow`);
  origin = o.model;
} else {
  const steps = number('train-steps');
  flow = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: o.hidden.split(',').map(Number), timeFeatures: 2, seed }) });
  const optimizer = new Adam(flow.trainableVariables, { learningRate: schedules.cosine(2e-3, steps, { warmupSteps: Math.min(500, steps / 10) }) });
  const random = new Random(seed + 1);
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    tf.tidy(() => {
      const data = target.sample(512, { random });
      const { grads } = tf.variableGrads(() => flowMatchingLoss(flow, data, { random }), flow.trainableVariables);
      optimizer.applyGradients(grads);
    });
  }
  optimizer.dispose();
  origin = `trained here: ${steps} flow-matching steps of 512 in ${((performance.now() - started) / 1000).toFixed(0)} s`;
}
if (flow.eventSize !== 2) throw new Error('the comparison is on the 2-D toys');
const cnfParameters = parameters(flow.trainableVariables);

// ---- a Real NVP of about as many parameters: couplings of --nvp-hidden, as many as match ----
const nvpHidden = o['nvp-hidden'].split(',').map(Number);
const probe = realNVP({ size: 2, layers: 2, hidden: nvpHidden, seed });
const perLayer = parameters(probe.trainableVariables) / 2;
probe.dispose();
const layers = Math.max(2, Math.round(cnfParameters / perLayer));
const nvp = realNVP({ size: 2, layers, hidden: nvpHidden, seed });
const nvpParameters = parameters(nvp.trainableVariables);

const n = number('n');
const batch = Math.min(n, number('batch'));
const rk4 = { method: 'rk4', steps: number('rk4-steps') };
const points = target.sample(n, { random: seed + 7 });
const batches = Array.from({ length: Math.ceil(n / batch) }, (_, i) => tf.slice(points, [i * batch, 0], [Math.min(batch, n - i * batch), 2]));

/** One timed pass over all n points (in batches), read back; the mean NFE per solve of a cnf's. */
async function timed(run) {
  const started = performance.now();
  let evaluations = 0;
  for (let i = 0; i < batches.length; i++) {
    const result = run(batches[i], i);
    await result.data();
    result.dispose();
    evaluations += flow.lastSolveStats?.nfe ?? 0;
  }
  return { seconds: (performance.now() - started) / 1000, nfe: evaluations / batches.length };
}

const random = new Random(seed + 11);
const configurations = [
  { name: `cnf, RK4 ${rk4.steps} steps`, what: 'sampling', cnf: true, run: (x) => flow.transform(flow.base.sample(x.shape[0], { random }), { solver: rk4 }) },
  {
    name: 'cnf, Dormand-Prince 1e-6',
    what: 'sampling',
    cnf: true,
    run: (x) => flow.transform(flow.base.sample(x.shape[0], { random }), { solver: DEFAULT_SOLVER }),
  },
  { name: `Real NVP, ${layers} couplings`, what: 'sampling', cnf: false, run: (x) => nvp.sample(x.shape[0], { random }) },
  { name: `cnf, RK4 ${rk4.steps} steps`, what: 'log-density', cnf: true, run: (x) => flow.logProbWith(x, { solver: rk4 }) },
  { name: 'cnf, Dormand-Prince 1e-6', what: 'log-density', cnf: true, run: (x) => flow.logProbWith(x, { solver: DEFAULT_SOLVER }) },
  { name: `Real NVP, ${layers} couplings`, what: 'log-density', cnf: false, run: (x) => nvp.logProb(x) },
];

const loadBefore = loadavg();
const repeats = number('repeats');
const rates = configurations.map(() => []);
const nfes = configurations.map(() => []);
for (let round = 0; round <= repeats; round++) {
  for (const [k, configuration] of configurations.entries()) {
    const { seconds, nfe } = await timed(configuration.run);
    // Round 0 warms up (compiles, allocates) and is not counted.
    if (round > 0) {
      rates[k].push(n / seconds);
      nfes[k].push(nfe);
    }
  }
  if (round > 0) log(`round ${round} of ${repeats} done`);
}
const loadAfter = loadavg();

const format = (value) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3));
console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${describeBackend(backend)}\n` +
    `cnf: ${origin}; field ${flow.field.network?.hidden?.join(' × ') ?? '?'} (${cnfParameters.toLocaleString('en-US')} parameters), ` +
    `exact trace; Real NVP: ${layers} affine couplings of ${nvpHidden.join(',')} (${nvpParameters.toLocaleString('en-US')} parameters)\n` +
    `${n} points in batches of ${batch}, ${repeats} interleaved rounds after a warm-up; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ${loadAfter.map((v) => v.toFixed(2)).join(' ')} after\n`,
);
console.log('| what | model, solver | NFE per solve | samples/s, median | range |\n|---|---|---|---|---|');
for (const [k, configuration] of configurations.entries()) {
  const nfe = configuration.cnf ? format(median(nfes[k])) : '—';
  console.log(
    `| ${configuration.what} | ${configuration.name} | ${nfe} | ${format(median(rates[k]))} | ${format(Math.min(...rates[k]))}-${format(Math.max(...rates[k]))} |`,
  );
}
tf.dispose([points, ...batches]);
flow.dispose();
nvp.dispose();
