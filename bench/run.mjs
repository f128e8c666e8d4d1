#!/usr/bin/env node
// `pnpm bench`: the project's training and log-density throughput for the peers' benchmark model
// (Real NVP, 8 masked coupling layers on 784 dimensions, 784-256-256-784 ReLU MLPs for scale and
// translation, tanh on the scale, alternating checkerboard masks, Adam lr 1e-3), beside a peer's
// figures from the same run, with ratios. Writes the figures into bench/results.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { nativeBlasSetting } from '@flows/cli-kit';
import { Adam, describeBackend, realNVP, selectBackend } from '@flows/flows';

const here = dirname(new URL(import.meta.url).pathname);
// `pnpm bench -- --flag` forwards the `--` itself; options after it are still options here.
const argv = process.argv.slice(2).filter((a, i) => !(a === '--' && i === 0));
const { values: args } = parseArgs({
  args: argv,
  options: {
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: String(os.cpus().length) },
    batch: { type: 'string', default: '256,1024' },
    steps: { type: 'string', default: '8' },
    peer: { type: 'string', default: 'numpy' },
    'peer-dir': { type: 'string', default: resolve(here, '../../shared/reference/peers') },
    'no-write': { type: 'boolean', default: false },
    'native-blas': { type: 'boolean', default: false },
    'no-native': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`pnpm bench [-- options]
  --backend auto|tensorflow|webgpu|wasm|cpu   backend of the project (default auto)
  --threads N                                 wasm threads in Node (default: every core; at most the cores)
  --batch 256,1024                            batch sizes
  --steps N                                   steps per timed round (3 rounds after a warm-up round; median; default 8)
  --peer numpy|torch|none                     peer to run beside (default numpy, when python3 has numpy)
  --peer-dir DIR                              where numpy_realnvp.py and torch_realnvp.py are (default ../shared/reference/peers)
  --native-blas                               wasm: require the native kernels of @flows/native-blas (used by default whenever they load)
  --no-native                                 wasm: refuse them (the stock wasm kernels, with --threads wasm threads)
  --no-write                                  do not update bench/results.md`);
  process.exit(0);
}
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
function data(batch) {
  const random = new Random(7);
  const values = new Float32Array(batch * 784);
  for (let i = 0; i < values.length; i++) values[i] = (Math.floor(random.uniform() * 256) + random.uniform()) / 256;
  return tf.tensor2d(values, [batch, 784]);
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
  const x = data(16);
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

async function measureFlows(batch) {
  const model = benchmarkModel();
  const variables = model.trainableVariables;
  const optimizer = new Adam(variables, { learningRate: 1e-3 });
  const x = data(batch);
  // Steps queue without reading anything back, as in a training loop; the loss is read (asynchronously:
  // WebGPU in Node cannot read synchronously) after the last step, which also waits for the device.
  const trainStep = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x))), variables);
      optimizer.applyGradients(grads);
      return value;
    });
  const logProb = () => tf.tidy(() => model.uncheckedLogProb(x));
  const read = async (tensor) => {
    const value = (await tensor.data())[0];
    tensor.dispose();
    return value;
  };
  /** Seconds per call: the median of `rounds` rounds of `n` calls each, after a warm-up round. */
  const time = async (fn, n, rounds = 3) => {
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
  };
  const firstLoss = await read(trainStep());
  const train = await time(trainStep, steps);
  const density = await time(logProb, steps);
  const lastLoss = await read(trainStep());
  const result = { train: batch / train, logprob: batch / density, trainStepMs: train * 1000, logprobMs: density * 1000, firstLoss, lastLoss };
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  return result;
}

function runPeer() {
  if (args.peer === 'none') return null;
  const script = join(args['peer-dir'], args.peer === 'torch' ? 'torch_realnvp.py' : 'numpy_realnvp.py');
  if (!existsSync(script)) return { skipped: `${script} not found` };
  const env = { ...process.env };
  // The peers' README: numpy's real speed needs these two unset, in the peer's command alone.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    if (args.peer === 'torch') {
      const device = process.env.PEER_DEVICE ?? 'cuda';
      const out = execFileSync('python3', [script, device], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_200_000 });
      const figures = {};
      for (const match of out.matchAll(/torch train B=(\d+):\s*([\d.]+) samples\/s/g)) figures[Number(match[1])] = { train: Number(match[2]) };
      return { name: `torch (${device})`, figures };
    }
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    const out = execFileSync('python3', [script, '--batch', batches.join(',')], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 1_200_000,
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    const result = JSON.parse(line.slice(7));
    const figures = {};
    for (const batch of batches) {
      const entry = result.flow784[`bs${batch}`];
      if (entry) figures[batch] = { train: entry.train_samples_per_s, logprob: entry.logprob_samples_per_s };
    }
    return { name: 'numpy', figures, matmul: result.matmul, limit: result.theoretical_at_256x784x1024_rate, flops: result.flops?.flow784 };
  } catch (error) {
    return { skipped: `peer failed: ${String(error.message).split('\n')[0]}` };
  }
}

const fmt = (v) => (v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));
// As in the apps: the native kernels whenever they load (--native-blas requires them, --no-native
// refuses them). They bring their own threads (--threads of them), and the wasm backend runs
// single-threaded beside them; selectBackend also switches the dense gradients to transposed products.
const choice = await selectBackend({
  backend: args.backend,
  wasmThreads: Number(args.threads),
  nativeBlas: nativeBlasSetting(args['native-blas'], args['no-native'], args.backend),
});
const nativeRuns = Boolean(choice.nativeBlas && 'threads' in choice.nativeBlas);
let nativeNote = '';
if (nativeRuns) {
  const products = choice.nativeBlas.products === 'avx512' ? "the addon's own AVX-512 kernel" : 'OpenBLAS';
  nativeNote = ` Native kernels (@flows/native-blas, ${choice.nativeBlas.threads} threads; wasm itself single-threaded): matrix products by ${products}, Exp/Log1p/Softplus/Tanh, the masked affine coupling with its gradient, and the Adam update.`;
  console.log(
    `native kernels: matrix products by ${products}, vectorized elementwise functions and the Adam update (${choice.nativeBlas.threads} threads) through @flows/native-blas`,
  );
}
const backendLabel = nativeRuns ? `${choice.name}+native` : choice.name;
const cpu = os.cpus();
const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(describeBackend(choice));
const dispatchNote = choice.name === 'webgpu' ? await countDispatches() : null;
if (dispatchNote) console.log(dispatchNote);
const ours = {};
for (const batch of batches) {
  ours[batch] = await measureFlows(batch);
  const o = ours[batch];
  const line1 = `flows ${backendLabel} train   B=${batch}: ${fmt(o.train)} samples/s (median step ${o.trainStepMs.toFixed(1)} ms; loss ${o.firstLoss.toFixed(1)} → ${o.lastLoss.toFixed(1)})`;
  const line2 = `flows ${backendLabel} logprob B=${batch}: ${fmt(o.logprob)} samples/s (median ${o.logprobMs.toFixed(1)} ms)`;
  console.log(line1);
  console.log(line2);
}
const peer = runPeer();
const rows = [];
if (peer?.skipped) console.log(`peer: skipped (${peer.skipped})`);
for (const batch of batches) {
  const p = peer?.figures?.[batch];
  const o = ours[batch];
  if (p) {
    console.log(`${peer.name} train   B=${batch}: ${fmt(p.train)} samples/s`);
    if (p.logprob) console.log(`${peer.name} logprob B=${batch}: ${fmt(p.logprob)} samples/s`);
    console.log(`ratio train   B=${batch}: ${(o.train / p.train).toFixed(3)} (flows ${backendLabel} / ${peer.name})`);
    if (p.logprob) console.log(`ratio logprob B=${batch}: ${(o.logprob / p.logprob).toFixed(3)} (flows ${backendLabel} / ${peer.name})`);
  }
  rows.push(
    `| ${batch} | ${fmt(o.train)} | ${fmt(p?.train)} | ${p ? (o.train / p.train).toFixed(3) : '—'} | ${fmt(o.logprob)} | ${fmt(p?.logprob)} | ${p?.logprob ? (o.logprob / p.logprob).toFixed(3) : '—'} |`,
  );
}
// The physical limit the issue asks each run to be measured against: numpy's own matrix-product rate
// (256 × 784 × 1024) over the model's matrix-product FLOPs per sample, from the same run.
let limitNote = '';
if (peer?.limit && peer.matmul?.['256x784x1024']) {
  const rate = peer.matmul['256x784x1024'].gflops;
  const perSample = peer.flops ? ` over ${(peer.flops.fwd_bwd_matmul_flops_per_sample / 1e6).toFixed(1)} MFLOP per training sample` : '';
  const fractions = batches
    .map(
      (batch) =>
        `batch ${batch}: training ${((100 * ours[batch].train) / peer.limit.train_samples_per_s).toFixed(0)} %, log-density ${((100 * ours[batch].logprob) / peer.limit.logprob_samples_per_s).toFixed(0)} %`,
    )
    .join('; ');
  limitNote = `Physical limit (numpy's 256 × 784 × 1024 product at ${rate.toFixed(0)} GFLOP/s${perSample}): ${fmt(peer.limit.train_samples_per_s)} training and ${fmt(peer.limit.logprob_samples_per_s)} log-density samples/s; this run reaches ${fractions}.`;
  console.log(limitNote);
}
if (!args['no-write']) {
  const file = join(here, 'results.md');
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const section = [
    `### ${date} UTC — ${backendLabel} vs ${peer?.name ?? 'no peer'}`,
    '',
    `Machine: ${machine}. ${describeBackend(choice).replace(/^backend/, 'Backend')}.${dispatchNote ? ` ${dispatchNote[0].toUpperCase()}${dispatchNote.slice(1)}.` : ''} Mean of ${steps} queued steps (one read-back at the end), median of 3 rounds after a warm-up round.${nativeNote}`,
    '',
    `| batch | flows train samples/s | ${peer?.name ?? 'peer'} train | ratio | flows logprob samples/s | ${peer?.name ?? 'peer'} logprob | ratio |`,
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(limitNote ? [limitNote, ''] : []),
  ].join('\n');
  const existing = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmark results\n\nWritten by `pnpm bench`; newest first. Model: Real NVP, 8 masked coupling layers on 784 dimensions, 784-256-256-784 ReLU MLPs for scale and translation, tanh on the scale, checkerboard masks, Adam.\n\n<!-- runs -->\n';
  const marker = '<!-- runs -->\n';
  const updated = existing.includes(marker) ? existing.replace(marker, `${marker}\n${section}`) : `${existing}\n${marker}\n${section}`;
  writeFileSync(file, updated);
  console.log(`figures added to ${file}`);
}
