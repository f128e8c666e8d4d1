#!/usr/bin/env node
// `pnpm bench:browser`: the benchmark model of `pnpm bench` (784-D Real NVP) trained in headless
// Chromium on each backend that starts there (wasm on one thread in its SIMD build, wasm with every
// core in its threaded SIMD build, WebGL, WebGPU), beside the same code in Node on wasm's SIMD build
// (one thread) in the same run; then the playground's toy run (TwoGaussians, 8 layers, 64 hidden,
// batch 1000) on wasm in the page, with the longest pause of the page's own thread while it trains.
// Prints a table with the two ratios of issue 36 (the page's single thread against Node's, the
// page's threads against its single thread) and writes it into bench/results.md.
//
// On Linux each row also has the CPU time it took (Node's process; the page's renderer processes),
// per 1 000 samples: on a machine that other jobs share, wall-clock rates follow the scheduler,
// while CPU time per sample compares the code itself (the same work costs the same CPU time).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(a === '--' && i === 0)),
  options: {
    batch: { type: 'string', default: '256' },
    steps: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,webgl,webgpu,cpu' },
    'toy-steps': { type: 'string', default: '400' },
    'flows-query': { type: 'string', default: 'data=chequerboard&layers=6&bins=16&seed=0' },
    'flows-batch': { type: 'string', default: '500' },
    'flows-steps': { type: 'string', default: '10' },
    'time-limit': { type: 'string', default: '240' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`pnpm bench:browser [-- options]
  --batch 256              batch of the benchmark model
  --steps 4 --rounds 3     steps per timed round, rounds after a warm-up round (median)
  --backends wasm,webgl,webgpu,cpu   browser backends to try (each is reported, or why it did not start);
                           wasm runs twice: one thread (SIMD build, as Node) and every core (threaded build)
  --toy-steps 400          steps of the toy run (TwoGaussians, 8 layers, 64 hidden, batch 1000) on wasm
  --flows-query data=chequerboard&layers=6&bins=16&seed=0
  --flows-batch 500 --flows-steps 10
                           on each backend, that playground run trained with Real NVP and with the
                           spline flow (same layers; rounds of --flows-steps, --rounds of them): the
                           spline's samples/s as a share of Real NVP's (issue 36: goal >= 25 %)
  --time-limit 240         seconds a browser backend may take before it is reported as too slow
  --no-write               do not update bench/results.md`);
  process.exit(0);
}
const batch = Number(args.batch);
const steps = Number(args.steps);
const rounds = Number(args.rounds);
if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('apps/playground/dist is missing: run pnpm build first (pnpm bench:browser from the repository root does both)');
  process.exit(1);
}
const rate = (value) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1));

// ---- Node: the same benchmark module (src/benchmark.ts), compiled by esbuild with its packages left to Node ----
const { build } = await import('esbuild');
const compiled = join(root, 'node_modules', '.cache', 'bench-browser', 'benchmark.mjs');
await build({
  entryPoints: [join(root, 'src', 'benchmark.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: compiled,
  logLevel: 'silent',
});
const { timeTraining } = await import(pathToFileURL(compiled).href);
const { selectBackend, describeBackend } = await import('@flows/flows');
const threads = os.cpus().length;
const loadAtStart = os.loadavg()[0];
/** CPU seconds per 1 000 samples of a timed call (the warm-up round and the model's set-up included). */
const cpuPerThousand = (cpuSeconds) => (cpuSeconds === null ? null : (cpuSeconds * 1000) / ((rounds + 1) * steps * batch));
const nodeRuns = [];
for (const [label, options] of [['wasm, one thread (SIMD)', { backend: 'wasm', wasmThreads: 1, nativeKernels: false }]]) {
  const choice = await selectBackend(options);
  const before = process.cpuUsage();
  const result = await timeTraining(batch, steps, rounds);
  const used = process.cpuUsage(before);
  const cpu = cpuPerThousand((used.user + used.system) / 1e6);
  nodeRuns.push({ label, description: describeBackend(choice), samplesPerSecond: result.samplesPerSecond, cpu });
  console.error(`Node ${label}: ${rate(result.samplesPerSecond)} samples/s, ${cpu.toFixed(2)} CPU s per 1 000 samples (${describeBackend(choice)})`);
}
const node = nodeRuns[0];

// ---- CPU time of a browser's renderer processes (Linux's /proc; null elsewhere) ----
const clockTicks = 100; // USER_HZ: the unit of utime and stime in /proc/*/stat on Linux
function statFields(path) {
  const text = readFileSync(path, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}
/** CPU seconds used so far by the renderer processes descended from `pid` (the browser), or null. */
function rendererCpuSeconds(pid) {
  if (!pid || !existsSync('/proc/self/stat')) return null;
  try {
    const parents = new Map();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        parents.set(entry, statFields(`/proc/${entry}/stat`)[1]);
      } catch {
        // The process ended meanwhile.
      }
    }
    const within = (child) => {
      for (let at = child, hops = 0; at && hops < 10; at = parents.get(at), hops++) if (at === String(pid)) return true;
      return false;
    };
    let ticks = 0;
    for (const [process_] of parents) {
      if (!within(process_)) continue;
      try {
        if (!readFileSync(`/proc/${process_}/cmdline`, 'utf8').includes('--type=renderer')) continue;
        const fields = statFields(`/proc/${process_}/stat`);
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process ended meanwhile.
      }
    }
    return ticks / clockTicks;
  } catch {
    return null;
  }
}

// ---- the browser: a fresh Chromium per backend (a software GPU that overruns its time is closed with it) ----
const { chromium } = await import('playwright-core');
const { preview } = await import('vite');
const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', preview: { port: 0, host: '127.0.0.1' } });
const url = server.resolvedUrls.local[0];
const executablePath = process.env.CHROME_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
if (!executablePath) {
  console.error('no Chromium found: apt-get install chromium, or set CHROME_PATH');
  process.exit(1);
}
// Launched as a server, so that its process id (and its renderers' CPU time) is known.
const launch = async () => {
  const server_ = await chromium.launchServer({
    executablePath,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-webgpu-adapter=swiftshader',
    ],
  });
  const browser = await chromium.connect(server_.wsEndpoint());
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    await server_.close();
  };
  browser.pid = server_.process().pid;
  return browser;
};
const limit = Number(args['time-limit']);
const withinLimit = (promise, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${limit} s (--time-limit)`)), limit * 1000))]);
let version = '';
const rows = [];
/** Per backend run: the toy's samples/s with Real NVP and with the spline flow. */
const flowRows = [];
const flowsBatch = Number(args['flows-batch']);
const flowsSteps = Number(args['flows-steps']);
// wasm twice: its thread count is fixed when it first starts in the page's worker, so each run is a
// fresh page whose run is configured on cpu and whose benchmark is the first start of wasm.
const runs = args.backends.split(',').flatMap((backend) =>
  backend === 'wasm'
    ? [
        { backend, wasmThreads: 1, label: 'wasm-1' },
        { backend, wasmThreads: threads, label: 'wasm-threads' },
      ]
    : [{ backend, label: backend }],
);
for (const { backend, wasmThreads, label } of runs) {
  const browser = await launch();
  version = browser.version();
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?data=two-gaussians&backend=cpu`);
    await page.waitForFunction(() => 'playground' in window);
    await page.evaluate(() => window.playground.ready);
    const bench = (options) =>
      page.evaluate((given) => window.playground.benchmark(given), { backend, batch, ...(wasmThreads ? { wasmThreads } : {}), ...options });
    // One step first: a backend far too slow for the full rounds (a software GPU) is reported from it.
    const probe = await withinLimit(bench({ steps: 1, rounds: 1 }), 'one step');
    const estimate = ((rounds + 1) * steps * batch) / probe.samplesPerSecond;
    const cpuBefore = rendererCpuSeconds(browser.pid);
    const result =
      estimate < limit
        ? await withinLimit(bench({ steps, rounds }), 'the timed rounds')
        : { ...probe, note: `one step after one warm-up step; the full rounds would take about ${Math.round(estimate)} s` };
    const cpuAfter = rendererCpuSeconds(browser.pid);
    const cpu = result.note || cpuBefore === null || cpuAfter === null ? null : cpuPerThousand(cpuAfter - cpuBefore);
    rows.push({ label, samplesPerSecond: result.samplesPerSecond, description: result.backendDescription, note: result.note ?? '', cpu });
    console.error(
      `browser ${label}: ${rate(result.samplesPerSecond)} samples/s${cpu === null ? '' : `, ${cpu.toFixed(2)} CPU s per 1 000 samples`} (${result.backendDescription})`,
    );
    // The same playground run with each flow on this backend (already started: the same threads).
    const flowRates = {};
    for (const flow of ['realnvp', 'spline']) {
      const toy = `${args['flows-query']}&flow=${flow}`;
      const timedToy = (options) => withinLimit(bench({ toy, batch: flowsBatch, ...options }), `${flow} on the toy`);
      try {
        const probe_ = await timedToy({ steps: 1, rounds: 1 });
        const estimate_ = ((rounds + 1) * flowsSteps * flowsBatch) / probe_.samplesPerSecond;
        flowRates[flow] = estimate_ < limit ? (await timedToy({ steps: flowsSteps, rounds })).samplesPerSecond : probe_.samplesPerSecond;
      } catch (error) {
        flowRates[flow] = null;
        console.error(`browser ${label} ${flow}: ${String(error.message).split('\n')[0]}`);
      }
    }
    flowRows.push({ label, description: result.backendDescription, ...flowRates });
    console.error(`browser ${label}: toy Real NVP ${rate(flowRates.realnvp ?? 0)}, spline ${rate(flowRates.spline ?? 0)} samples/s`);
  } catch (error) {
    const reason = String(error.message).split('\n')[0].trim();
    rows.push({ label, samplesPerSecond: null, description: `${backend}: ${reason}`, note: '', cpu: null });
    console.error(`browser ${label}: ${reason}`);
  } finally {
    await browser.close();
  }
}

// ---- the toy run, with the page thread's longest pause while it trains ----
const toySteps = Number(args['toy-steps']);
const browser = await launch();
const toyPage = await browser.newPage();
await toyPage.goto(`${url}?data=two-gaussians&flow=realnvp&layers=8&hidden=64,64&batch=1000&steps=${toySteps}&seed=0&backend=wasm`);
await toyPage.waitForFunction(() => 'playground' in window);
await toyPage.evaluate(() => window.playground.ready);
const toy = await toyPage.evaluate(async () => {
  // Frames of the page's thread while the worker trains: a long gap would be a frozen page.
  // Long tasks (over 50 ms) of the page's thread itself, apart from the scheduler's pauses.
  let longestTask = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longestTask = Math.max(longestTask, entry.duration);
  }).observe({ type: 'longtask', buffered: false });
  let longestGap = 0;
  let last = performance.now();
  let measuring = true;
  const frame = (now) => {
    longestGap = Math.max(longestGap, now - last);
    last = now;
    if (measuring) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const started = performance.now();
  await window.playground.start();
  while (!window.playground.status().done && !window.playground.status().error) await new Promise((resolve) => setTimeout(resolve, 200));
  const seconds = (performance.now() - started) / 1000;
  measuring = false;
  const status = window.playground.status();
  return { seconds, steps: status.step, kl: status.kl, longestGap, longestTask, description: status.backendDescription, isolated: crossOriginIsolated };
});
await toyPage.close();
await browser.close();
await new Promise((resolve) => server.httpServer.close(resolve));
const toyRate = (toy.steps * 1000) / toy.seconds;

// ---- the table ----
const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
const cpuCell = (cpu) => (cpu === null || cpu === undefined ? '–' : cpu.toFixed(2));
const rowOf = (label) => rows.find((row) => row.label === label && row.samplesPerSecond !== null);
const pageOne = rowOf('wasm-1');
const pageThreads = rowOf('wasm-threads');
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '–');
const loads = `load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
const lines = [
  `### ${stamp} UTC — Chromium ${version} beside Node ${process.version} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${threads} cores; ${loads})`,
  '',
  `Benchmark model of \`pnpm bench\`, batch ${batch}, training samples/s (median of ${rounds} rounds of ${steps} steps after a warm-up round), ` +
    'and the CPU time of the whole timed call per 1 000 samples (Node: its process; Chromium: its renderer processes):',
  '',
  '| where | backend | samples/s | ratio to Node wasm | CPU s per 1 000 samples |',
  '|---|---|---|---|---|',
  ...nodeRuns.map(
    (run) =>
      `| Node | ${run.description.replace(/\|/g, '/')} | ${rate(run.samplesPerSecond)} | ${(run.samplesPerSecond / node.samplesPerSecond).toFixed(2)} | ${cpuCell(run.cpu)} |`,
  ),
  ...rows.map(
    (row) =>
      `| Chromium (page worker) | ${row.description.replace(/\|/g, '/')}${row.note ? ` (${row.note})` : ''} | ${row.samplesPerSecond === null ? '–' : rate(row.samplesPerSecond)} | ${row.samplesPerSecond === null ? '–' : (row.samplesPerSecond / node.samplesPerSecond).toFixed(2)} | ${cpuCell(row.cpu)} |`,
  ),
  '',
  `Page wasm single thread / Node single thread (same SIMD build): **${ratio(pageOne?.samplesPerSecond, node.samplesPerSecond)}** by samples/s, ` +
    `${ratio(node.cpu, pageOne?.cpu)} by CPU time per sample (goal ≥ 0.9). ` +
    `Page wasm with threads / page one thread: **${ratio(pageThreads?.samplesPerSecond, pageOne?.samplesPerSecond)}** by samples/s (goal ≥ 1.5 on 2 cores).`,
  '',
  `Splines against Real NVP in the page (playground run \`${args['flows-query']}\`, batch ${flowsBatch}, median of ${rounds} rounds of ${flowsSteps} steps after a warm-up round, training samples/s):`,
  '',
  '| backend | Real NVP | spline | spline / Real NVP (goal ≥ 25 %) |',
  '|---|---|---|---|',
  ...flowRows.map(
    (row) =>
      `| ${row.description.replace(/\|/g, '/')} | ${row.realnvp ? rate(row.realnvp) : '–'} | ${row.spline ? rate(row.spline) : '–'} | ${row.realnvp && row.spline ? `**${Math.round((100 * row.spline) / row.realnvp)} %**` : '–'} |`,
  ),
  '',
  `Playground toy run on wasm in the page (TwoGaussians, Real NVP 8 layers, 64-64 hidden, batch 1000, ${toy.steps} steps, pictures refreshing): ` +
    `**${rate(toyRate)} samples/s** over the whole run (${toy.seconds.toFixed(1)} s, KL ${toy.kl?.toFixed(4) ?? '–'} nats); ` +
    `longest pause of the page's thread between frames: ${Math.round(toy.longestGap)} ms, longest task of its own: ${Math.round(toy.longestTask)} ms; cross-origin isolated: ${toy.isolated}; ${toy.description}.`,
  '',
];
console.log(lines.join('\n'));
if (!args['no-write']) {
  const file = join(root, '..', '..', 'bench', 'results.md');
  const marker = '<!-- browser runs -->\n';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  if (!text.includes(marker)) text = `${text.trimEnd()}\n\n## Browser runs (\`pnpm bench:browser\`), newest first\n\n${marker}`;
  text = text.replace(marker, `${marker}\n${lines.join('\n')}`);
  writeFileSync(file, text);
  console.error(`written to bench/results.md`);
}
