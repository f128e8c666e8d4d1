#!/usr/bin/env node
// `pnpm bench`: the project's training and log-density throughput for the peers' benchmark model
// (Real NVP, 8 masked coupling layers on 784 dimensions, 784-256-256-784 ReLU MLPs for scale and
// translation, tanh on the scale, alternating checkerboard masks, Adam lr 1e-3) beside the numpy
// (and PyTorch) peer, and the multi-scale convolutional flow's training throughput.
//
// Why interleaved rounds: this machine's figures swing with load (numpy measured 948-2,056 training
// samples/s at batch 256 on different days), so one run of each side gives a ratio that can be off by
// 2×. Each side runs --repeats rounds, each in a fresh process, alternating (flows, numpy, torch,
// flows, numpy, torch, …); a figure is the median of its rounds with their range, and a ratio is the
// median of the ratios of neighbouring rounds, so that a slow minute slows both sides of a pair.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.mjs';
import { numpyInfo, numpyRound, pythonWith, torchInfo, torchRound } from './peers.mjs';
import { formatSummary, summary } from './stats.mjs';

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
    repeats: { type: 'string', default: '3' },
    peer: { type: 'string', default: 'numpy' },
    'torch-device': { type: 'string' },
    conv: { type: 'string', default: '256' },
    'peer-dir': { type: 'string', default: resolve(here, '../../shared/reference/peers') },
    'no-write': { type: 'boolean', default: false },
    native: { type: 'boolean', default: false },
    'no-native': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  // The choices of the project's backend table (loaded only for the help: the rounds run in their own processes).
  const { BACKEND_CHOICES } = await import('@flows/flows');
  console.log(`pnpm bench [-- options]
  ${`--backend ${BACKEND_CHOICES.join('|')}`.padEnd(43)} backend of the project (default auto)
  --threads N                                 threads in Node (default: every core)
  --batch 256,1024                            batch sizes of the dense benchmark model
  --steps N                                   steps per timed group inside a round (default 8)
  --repeats N                                 rounds of each side, interleaved (default 3; at least 3 for a figure)
  --peer numpy|torch|none                     numpy (default); torch adds PyTorch (Debian's python3-torch) to numpy; none
  --torch-device cpu|cuda                     PyTorch's device (default cuda where nvidia-smi runs, else cpu)
  --conv B                                    also time the multi-scale convolutional flow at batch B (default 256; 0: skip)
  --peer-dir DIR                              where numpy_realnvp.py and torch_realnvp.py are (default ../shared/reference/peers)
  --native                               wasm: require the native kernels of @flows/native-kernels (used by default whenever they load)
  --no-native                                 wasm: refuse them (the stock wasm kernels)
  --no-write                                  do not add the run to bench/results.md`);
  process.exit(0);
}
const batches = args.batch.split(',').map(Number);
const repeats = Math.max(1, Number(args.repeats));
const convBatch = Number(args.conv);
if (repeats < 3) console.log(`note: --repeats ${repeats}: fewer than 3 rounds give no trustworthy median`);

// ---- what runs ----------------------------------------------------------------------------------
const machine = describeMachine();
console.log(`machine: ${machine.model}, ${machine.cores} cores, ${machine.vector}, ${machine.memoryGiB} GiB, node ${machine.node}`);
console.log(`nominal peak: ${machine.peakFormula}`);
const loadAverage = os.loadavg()[0];
console.log(
  `load average at the start: ${loadAverage.toFixed(2)}${loadAverage > 0.5 ? ' (the machine is not idle: the figures are not comparable with idle runs)' : ''}`,
);

const peerNames = args.peer === 'none' ? [] : args.peer === 'torch' || args.peer === 'numpy,torch' ? ['numpy', 'torch'] : [args.peer];
const peers = [];
for (const name of peerNames) {
  const python = pythonWith(name === 'torch' ? 'torch' : 'numpy');
  if (!python) {
    console.log(`peer ${name}: skipped (no python3 with ${name}${name === 'torch' ? '; Debian: apt-get install python3-torch' : ''})`);
    continue;
  }
  if (name === 'numpy') {
    const info = numpyInfo(python);
    const described = info.error
      ? info.error
      : `numpy ${info.numpy} (${python}), BLAS ${info.blas}${info.coreType ? `, OpenBLAS core type ${info.coreType}` : ''}${info.threads ? `, ${info.threads} threads` : ''}${info.config ? ` [${info.config}]` : ''}`;
    console.log(`peer numpy: ${described}`);
    peers.push({ name: 'numpy', python, described, round: () => numpyRound(python, args['peer-dir'], batches) });
  } else if (name === 'torch') {
    const device = args['torch-device'] ?? (spawnSync('nvidia-smi', { stdio: 'ignore' }).status === 0 ? 'cuda' : 'cpu');
    const info = torchInfo(python);
    const described = info.error ? info.error : `PyTorch ${info.torch} (${python}) on ${device}, ${info.threads} threads`;
    console.log(`peer torch: ${described}`);
    peers.push({ name: `torch-${device}`, python, described, round: () => torchRound(python, args['peer-dir'], batches, device) });
  } else {
    console.log(`peer ${name}: unknown (numpy, torch or none)`);
  }
}

function flowsRound() {
  const roundArgs = [join(here, 'flows-round.mjs'), '--backend', args.backend, '--threads', args.threads, '--batch', args.batch, '--steps', args.steps];
  if (convBatch > 0) roundArgs.push('--conv', String(convBatch));
  if (args['native']) roundArgs.push('--native');
  if (args['no-native']) roundArgs.push('--no-native');
  const child = spawnSync(process.execPath, roundArgs, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the flows round failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

// ---- the interleaved rounds -------------------------------------------------------------------------
const flowsRounds = [];
const peerRounds = Object.fromEntries(peers.map((p) => [p.name, []]));
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  const ours = flowsRound();
  flowsRounds.push(ours);
  const dense = batches.map((b) => `B=${b} train ${Math.round(ours.dense[b].train)} logprob ${Math.round(ours.dense[b].logprob)}`).join(', ');
  const conv = ours.multiScale ? `, multi-scale train ${ours.multiScale.train.toFixed(0)}` : '';
  console.log(
    `round ${r + 1}/${repeats} flows ${ours.label}: ${dense}${conv} samples/s; product ${ours.productGflops.toFixed(0)} GFLOP/s (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  for (const peer of peers) {
    const t1 = performance.now();
    try {
      const figures = peer.round();
      peerRounds[peer.name].push(figures);
      const line = batches
        .map((b) => `B=${b} train ${Math.round(figures.figures[b]?.train ?? Number.NaN)} logprob ${Math.round(figures.figures[b]?.logprob ?? Number.NaN)}`)
        .join(', ');
      console.log(
        `round ${r + 1}/${repeats} ${peer.name}: ${line} samples/s${figures.productGflops ? `; product ${figures.productGflops.toFixed(0)} GFLOP/s` : ''} (${((performance.now() - t1) / 1000).toFixed(0)} s)`,
      );
    } catch (error) {
      peerRounds[peer.name].push(null);
      console.log(`round ${r + 1}/${repeats} ${peer.name}: failed (${String(error.message).split('\n')[0]})`);
    }
  }
}

// ---- summaries ----------------------------------------------------------------------------------
const label = flowsRounds[0].label;
const ours = Object.fromEntries(
  batches.map((b) => [b, { train: summary(flowsRounds.map((r) => r.dense[b].train)), logprob: summary(flowsRounds.map((r) => r.dense[b].logprob)) }]),
);
/** Median and range of the ratios of neighbouring rounds (flows round r over the peer's round r). */
function pairedRatio(peerName, batch, key) {
  const ratios = flowsRounds.map((round, r) => round.dense[batch][key] / (peerRounds[peerName][r]?.figures[batch]?.[key] ?? Number.NaN));
  return summary(ratios);
}
const products = [...flowsRounds.map((r) => r.productGflops), ...Object.values(peerRounds).flatMap((rounds) => rounds.map((r) => r?.productGflops))].filter(
  Number.isFinite,
);
const bestProduct = Math.max(...products);
const limitGflops = Math.max(machine.nominalGflops, bestProduct);
// Matrix-product FLOPs per sample of the benchmark model: 8 couplings × 2 MLPs × (784·256 + 256·256 + 256·784)
// multiply-adds forward; a training step adds the two products of the backward pass (inputs' and weights' gradients).
const forwardFlops = 2 * 8 * 2 * (784 * 256 + 256 * 256 + 256 * 784);
const trainFlops = 3 * forwardFlops;
// The FLOPs the model needs: a checkerboard coupling's networks read the 392 kept coordinates (the
// masked half of their input is zero) and only the 392 transformed ones of their output are used, so
// the first and last products need half their nominal work. The fused coupling skips the rest; numpy
// and PyTorch compute it. Peak fractions count the needed FLOPs, so that no fraction passes 100 %.
const neededForwardFlops = 2 * 8 * 2 * (392 * 256 + 256 * 256 + 256 * 392);
const neededTrainFlops = 3 * neededForwardFlops;

const lines = [];
const tableRows = [];
for (const b of batches) {
  const o = ours[b];
  lines.push(`flows ${label} train   B=${b}: ${formatSummary(o.train)} samples/s (median and range of ${o.train.n} rounds)`);
  lines.push(`flows ${label} logprob B=${b}: ${formatSummary(o.logprob)} samples/s`);
  const peerCells = [];
  for (const peer of peers) {
    const train = summary(peerRounds[peer.name].map((r) => r?.figures[b]?.train ?? Number.NaN));
    const logprob = summary(peerRounds[peer.name].map((r) => r?.figures[b]?.logprob ?? Number.NaN));
    const trainRatio = pairedRatio(peer.name, b, 'train');
    const logprobRatio = pairedRatio(peer.name, b, 'logprob');
    lines.push(`${peer.name} train   B=${b}: ${formatSummary(train)} samples/s`);
    lines.push(`${peer.name} logprob B=${b}: ${formatSummary(logprob)} samples/s`);
    lines.push(`ratio train   B=${b}: ${formatSummary(trainRatio, 3)} (flows ${label} / ${peer.name}, paired rounds)`);
    lines.push(`ratio logprob B=${b}: ${formatSummary(logprobRatio, 3)} (flows ${label} / ${peer.name}, paired rounds)`);
    peerCells.push(`${formatSummary(train)} | ${formatSummary(trainRatio, 2)} | ${formatSummary(logprob)} | ${formatSummary(logprobRatio, 2)}`);
  }
  const trainPeak = (100 * o.train.median * neededTrainFlops) / 1e9 / limitGflops;
  const logprobPeak = (100 * o.logprob.median * neededForwardFlops) / 1e9 / limitGflops;
  lines.push(`peak fraction B=${b}: training ${trainPeak.toFixed(0)} %, log-density ${logprobPeak.toFixed(0)} % of ${limitGflops.toFixed(0)} GFLOP/s`);
  tableRows.push(
    `| ${b} | ${formatSummary(o.train)} | ${formatSummary(o.logprob)} | ${peerCells.join(' | ')}${peerCells.length ? ' | ' : ''}${trainPeak.toFixed(0)} % / ${logprobPeak.toFixed(0)} % |`,
  );
}
const productLine = `matrix products (256 × 784 by 784 × 1024): flows ${formatSummary(summary(flowsRounds.map((r) => r.productGflops)))} GFLOP/s${peers
  .map((p) => `, ${p.name} ${formatSummary(summary(peerRounds[p.name].map((r) => r?.productGflops ?? Number.NaN)))}`)
  .join('')}; best ${bestProduct.toFixed(0)}`;
const limitLine = `physical limit: ${limitGflops.toFixed(0)} GFLOP/s, the larger of the nominal peak (${machine.nominalGflops.toFixed(0)}) and the best product rate measured (${bestProduct.toFixed(0)}); the model's products take ${(forwardFlops / 1e6).toFixed(1)} MFLOP per sample forward, ${(trainFlops / 1e6).toFixed(1)} per training sample, of which it needs ${(neededForwardFlops / 1e6).toFixed(1)} and ${(neededTrainFlops / 1e6).toFixed(1)} (the masked halves of the first and last products are zeros; the peak fractions count these)`;
let convLine = '';
if (convBatch > 0 && flowsRounds[0].multiScale) {
  const conv = summary(flowsRounds.map((r) => r.multiScale.train));
  const step = summary(flowsRounds.map((r) => r.multiScale.trainStepMs));
  const r0 = flowsRounds[0].multiScale;
  convLine = `multi-scale flow (mnist-flow train --architecture multiscale defaults: 2 levels × 4 steps, 32-32 channels) train B=${convBatch}: ${formatSummary(conv)} samples/s (step ${formatSummary(step)} ms; loss ${r0.firstLoss.toFixed(1)} → ${r0.lastLoss.toFixed(1)})`;
}
console.log('');
for (const line of [...lines, productLine, limitLine, ...(convLine ? [convLine] : [])]) console.log(line);

if (!args['no-write']) {
  const file = join(here, 'results.md');
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const peerHeader = peers.map((p) => `${p.name} train | ratio | ${p.name} logprob | ratio`).join(' | ');
  const section = [
    `### ${date} UTC — ${label}${peers.length ? ` vs ${peers.map((p) => p.name).join(', ')}` : ''}, ${repeats} interleaved rounds`,
    '',
    `Machine: ${machine.model}, ${machine.cores} cores, ${machine.vector}, ${machine.memoryGiB} GiB, node ${machine.node}; load average ${loadAverage.toFixed(2)} at the start. ${flowsRounds[0].description.replace(/^backend/, 'Backend')}.${peers.map((p) => ` Peer: ${p.described}.`).join('')}`,
    `Each cell: the median of ${repeats} rounds (each a fresh process; a round's figure is the median of 3 groups of ${args.steps} queued steps after a warm-up group) and their range; ratios are medians of paired neighbouring rounds.`,
    '',
    `| batch | flows train | flows logprob | ${peerHeader}${peers.length ? ' | ' : ''}peak (train / logprob) |`,
    `|---|---|---|${peers.map(() => '---|---|---|---|').join('')}---|`,
    ...tableRows,
    '',
    `${productLine}. ${limitLine[0].toUpperCase()}${limitLine.slice(1)}.`,
    ...(convLine ? ['', `${convLine[0].toUpperCase()}${convLine.slice(1)}.`] : []),
    '',
  ].join('\n');
  const existing = readFileSync(file, 'utf8');
  const marker = '<!-- runs -->\n';
  const updated = existing.includes(marker) ? existing.replace(marker, `${marker}\n${section}`) : `${existing}\n${marker}\n${section}`;
  if (existsSync(file)) writeFileSync(file, updated);
  console.log(`figures added to ${file}`);
}
