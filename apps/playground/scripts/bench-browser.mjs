#!/usr/bin/env node
// `pnpm bench:browser`: the benchmark model of `pnpm bench` (784-D Real NVP) trained in headless
// Chromium on each backend that starts there (wasm with threads and SIMD, WebGL, WebGPU), beside
// the same code in Node on wasm (threads and SIMD) in the same run; then the playground's toy run
// (TwoGaussians, 8 layers, 64 hidden, batch 1000) on wasm in the page, with the longest pause of
// the page's own thread while it trains. Prints a table and writes it into bench/results.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
    backends: { type: 'string', default: 'wasm,webgl,webgpu' },
    'toy-steps': { type: 'string', default: '400' },
    'time-limit': { type: 'string', default: '240' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`pnpm bench:browser [-- options]
  --batch 256              batch of the benchmark model
  --steps 4 --rounds 3     steps per timed round, rounds after a warm-up round (median)
  --backends wasm,webgl,webgpu   browser backends to try (each is reported, or why it did not start)
  --toy-steps 400          steps of the toy run (TwoGaussians, 8 layers, 64 hidden, batch 1000) on wasm
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
const nodeRuns = [];
for (const [label, options] of [['wasm, one thread (SIMD)', { backend: 'wasm', wasmThreads: 1, nativeKernels: false }]]) {
  const choice = await selectBackend(options);
  const result = await timeTraining(batch, steps, rounds);
  nodeRuns.push({ label, description: describeBackend(choice), samplesPerSecond: result.samplesPerSecond });
  console.error(`Node ${label}: ${rate(result.samplesPerSecond)} samples/s (${describeBackend(choice)})`);
}
const node = nodeRuns[0];

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
const launch = () =>
  chromium.launch({
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
const limit = Number(args['time-limit']);
const withinLimit = (promise, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${limit} s (--time-limit)`)), limit * 1000))]);
let version = '';
const rows = [];
for (const backend of args.backends.split(',')) {
  const browser = await launch();
  version = browser.version();
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?data=two-gaussians&backend=wasm`);
    await page.waitForFunction(() => 'playground' in window);
    await page.evaluate(() => window.playground.ready);
    const bench = (options) => page.evaluate((given) => window.playground.benchmark(given), { backend, batch, ...options });
    // One step first: a backend far too slow for the full rounds (a software GPU) is reported from it.
    const probe = await withinLimit(bench({ steps: 1, rounds: 1 }), 'one step');
    const estimate = ((rounds + 1) * steps * batch) / probe.samplesPerSecond;
    const result =
      estimate < limit
        ? await withinLimit(bench({ steps, rounds }), 'the timed rounds')
        : { ...probe, note: `one step after one warm-up step; the full rounds would take about ${Math.round(estimate)} s` };
    rows.push({ backend, samplesPerSecond: result.samplesPerSecond, description: result.backendDescription, note: result.note ?? '' });
    console.error(`browser ${backend}: ${rate(result.samplesPerSecond)} samples/s (${result.backendDescription})`);
  } catch (error) {
    const reason = String(error.message).split('\n')[0].trim();
    rows.push({ backend, samplesPerSecond: null, description: `${backend}: ${reason}`, note: '' });
    console.error(`browser ${backend}: ${reason}`);
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
const lines = [
  `### ${stamp} UTC — Chromium ${version} beside Node ${process.version} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${threads} cores)`,
  '',
  `Benchmark model of \`pnpm bench\`, batch ${batch}, training samples/s (median of ${rounds} rounds of ${steps} steps after a warm-up round):`,
  '',
  '| where | backend | samples/s | ratio to Node wasm |',
  '|---|---|---|---|',
  ...nodeRuns.map(
    (run) => `| Node | ${run.description.replace(/\|/g, '/')} | ${rate(run.samplesPerSecond)} | ${(run.samplesPerSecond / node.samplesPerSecond).toFixed(2)} |`,
  ),
  ...rows.map(
    (row) =>
      `| Chromium (page worker) | ${row.description.replace(/\|/g, '/')}${row.note ? ` (${row.note})` : ''} | ${row.samplesPerSecond === null ? '–' : rate(row.samplesPerSecond)} | ${row.samplesPerSecond === null ? '–' : (row.samplesPerSecond / node.samplesPerSecond).toFixed(2)} |`,
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
