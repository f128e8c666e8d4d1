#!/usr/bin/env node
// Times the addon's kernels directly (no TensorFlow.js): products, elementwise functions, the
// coupling and its gradient, the Adam steps and a convolution, on one Float32Array standing in for
// the wasm heap. Not a test: figures for bench/results.md, to compare builds and dispatch paths.
//
//   node scripts/micro-bench.mjs [--addon path] [--isa auto|baseline|avx2|avx512] [--threads 2]
//     one process's medians, as JSON
//   node scripts/micro-bench.mjs --compare name=path[:isa] name=path[:isa] … [--rounds 7] [--threads 2]
//     interleaved rounds (a, b, c, a, b, c, …), each a fresh process; prints each kernel's median
//     of the rounds' medians with their range, and each variant's ratio to the first
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const threads = Number(option('threads', '2'));
const self = fileURLToPath(import.meta.url);

if (args.includes('--compare')) compare();
else measure(option('addon', new URL('../native/build/Release/flows_blas.node', import.meta.url).pathname), option('isa', 'auto'));

function measure(path, isa) {
  const addon = createRequire(import.meta.url)(resolve(path));
  addon.setThreads(threads);
  if (typeof addon.isa === 'function') addon.isa(isa);
  else if (isa !== 'auto') throw new Error(`${path} has no dispatch paths; run it with --isa auto`);
  addon.products(1);
  let used = 0;
  const regions = [];
  const take = (count, low = -1, high = 1) => {
    const offset = used;
    used += count + 16;
    regions.push([offset, count, low, high]);
    return offset;
  };
  const gemm = [
    ['gemm 256x784 · 784x256 +bias relu', 256, 256, 784, 0, 0],
    ['gemm 784x256ᵀ · 256x256 (weight gradient)', 784, 256, 256, 1, 0],
    ['gemm 1024x256 · 784x256ᵀ (input gradient)', 1024, 784, 256, 0, 1],
  ].map(([name, m, n, k, ta, tb]) => ({ name, m, n, k, ta, tb, a: take(m * k), b: take(k * n), c: take(m * n), bias: take(n) }));
  const unarySize = 1 << 20;
  const unaryIn = take(unarySize, -20, 20);
  const unaryOut = take(unarySize);
  const couplings = [256, 1024].map((batch) => {
    const size = 784;
    const full = () => take(batch * size, -2, 2);
    return {
      batch,
      size,
      y: full(),
      r: full(),
      t: full(),
      m: take(size, 0, 1),
      c: take(size, 0.5, 1.5),
      x: full(),
      l: take(batch),
      dx: full(),
      dl: take(batch),
      dy: full(),
      dt: full(),
      dr: full(),
      dc: take(size),
    };
  });
  const adamSize = 2_000_000;
  const adam = { m: take(adamSize, 0, 0.1), g: take(adamSize), v: take(adamSize, 0, 0.01), p: take(adamSize / 4), out: take(adamSize) };
  const conv = { n: 32, h: 14, w: 14, cin: 32, cout: 32, k: 3 };
  conv.x = take(conv.n * conv.h * conv.w * conv.cin);
  conv.f = take(conv.k * conv.k * conv.cin * conv.cout);
  conv.bias = take(conv.cout);
  conv.out = take(conv.n * conv.h * conv.w * conv.cout);
  conv.dw = take(conv.k * conv.k * conv.cin * conv.cout);
  const heap = new Float32Array(used);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const [offset, count, low, high] of regions) for (let i = 0; i < count; i++) heap[offset + i] = low + (high - low) * random();
  for (const k of couplings) for (let i = 0; i < k.size; i++) heap[k.m + i] = heap[k.m + i] > 0.5 ? 1 : 0;

  const cases = [
    ...gemm.map((g) => [g.name, () => addon.sgemm(heap, g.a, g.b, g.c, g.m, g.n, g.k, g.ta, g.tb, g.ta || g.tb ? -1 : g.bias, g.ta || g.tb ? 0 : 1, 1, 0, 0)]),
    ...['exp', 'log1p', 'softplus', 'tanh'].map((name, op) => [`${name} 2^20 values`, () => addon.unary(heap, op, unaryIn, unaryOut, unarySize)]),
    ...couplings.flatMap((k) => [
      [`coupling ${k.batch}x${k.size} tanh`, () => addon.couplingInverse(heap, k.y, k.r, k.t, k.m, k.c, k.x, k.l, k.batch, k.size, 1)],
      [
        `coupling gradient ${k.batch}x${k.size} tanh`,
        () => addon.couplingInverseGradient(heap, k.dx, k.dl, k.y, k.r, k.t, k.m, k.c, k.dy, k.dt, k.dr, k.dc, k.batch, k.size, 1),
      ],
    ]),
    ['adam second moment 2M', () => addon.adamMoment(heap, adam.m, adam.g, adam.out, adamSize, 1, 0.999, 0.5)],
    ['adam parameter 500k', () => addon.adamParameter(heap, adam.p, adam.m, adam.v, adam.out, adamSize / 4, 1000, 1e-3, 1.5, 1e-7, 0.999)],
    [
      'conv2d 32x14x14x32 3x3→32 +bias relu',
      () => addon.conv2d(heap, conv.x, conv.f, conv.bias, conv.out, conv.n, conv.h, conv.w, conv.cin, 3, 3, conv.cout, 1, 1, conv.h, conv.w, 1, 1, 1, 1, 1),
    ],
    [
      'conv2d filter gradient 32x14x14x32 3x3→32',
      () => addon.conv2dFilterGradient(heap, conv.x, conv.out, conv.dw, conv.n, conv.h, conv.w, conv.cin, 3, 3, conv.cout),
    ],
  ];
  const result = { isa: typeof addon.isa === 'function' ? addon.isa() : 'march=native', products: addon.products() ? 'avx512' : 'openblas', ms: {} };
  for (const [name, run] of cases) {
    for (let i = 0; i < 5; i++) run();
    const times = [];
    const deadline = performance.now() + 400;
    while (times.length < 15 || (performance.now() < deadline && times.length < 200)) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    result.ms[name] = median(times);
  }
  console.log(JSON.stringify(result));
}

function compare() {
  const variants = args
    .slice(args.indexOf('--compare') + 1)
    .filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--') && all[i - 1] !== '--compare'))
    .map((spec) => {
      const [name, rest] = spec.split('=');
      const [path, isa = 'auto'] = rest.split(':');
      return { name, path, isa, rounds: [] };
    });
  const rounds = Number(option('rounds', '7'));
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      const run = spawnSync(process.execPath, [self, '--addon', v.path, '--isa', v.isa, '--threads', String(threads)], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${v.name}: ${run.stderr}`);
      const parsed = JSON.parse(run.stdout.trim().split('\n').pop());
      v.label = `${parsed.isa}, products ${parsed.products}`;
      v.rounds.push(parsed.ms);
    }
    process.stderr.write(`round ${round + 1}/${rounds}\n`);
  }
  const names = Object.keys(variants[0].rounds[0]);
  console.log(
    `${rounds} interleaved rounds, ${threads} threads; ms per call: median of the rounds' medians [min-max]; ratio: the first variant's median over this one's (>1 faster)`,
  );
  console.log(variants.map((v) => `- ${v.name}: ${v.path} (${v.label})`).join('\n'));
  console.log(`\n| kernel | ${variants.map((v) => v.name).join(' | ')} |`);
  console.log(`|---|${variants.map(() => '---|').join('')}`);
  for (const name of names) {
    const cells = variants.map((v, i) => {
      const values = v.rounds.map((r) => r[name]);
      const m = median(values);
      const base = median(variants[0].rounds.map((r) => r[name]));
      return `${m.toFixed(3)} [${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}]${i > 0 ? ` ×${(base / m).toFixed(2)}` : ''}`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
