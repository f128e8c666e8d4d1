#!/usr/bin/env node
// `node scripts/kl-table.mjs [--only NAME,...] [--pictures]` (after `pnpm build`): the README's KL table
// of flow matching beside the other flows, measured in the page. Each row is an autostarted run of the
// built page in headless Chromium (wasm backend) until done: the page's own KL at the end (20 000 toy
// samples for the flows of layers; 5 000 by Dormand-Prince at 1e-5 for the continuous flow), the wall
// time from the start to done (the page's KL evaluations and pictures included), the page's last
// training throughput, then the exported model's KL on 20 000 held-out points of the toy in Node
// (loadModel, the model's own log-density: the continuous flow's saved Dormand-Prince at 1e-6).
// With --pictures it also writes docs/vector-field.png: three frames (t = 0, 0.5, 1) of the vector-field
// view of the Chequerboard's continuous flow.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@flows/continuous';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { toyByName } from '@flows/datasets';
import { loadModel, selectBackend } from '@flows/flows';
import { decode, encode } from 'fast-png';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('apps/playground/dist is missing: run pnpm build first');
  process.exit(1);
}

/** The rows: the playground's defaults for Real NVP, toy-flow's spline settings, and a 3 × 128 field for flow matching. */
const RUNS = [
  { name: 'two-gaussians-realnvp', query: 'data=two-gaussians&flow=realnvp&layers=8&hidden=64,64&batch=1000&steps=3000&lr=0.002' },
  { name: 'two-gaussians-spline', query: 'data=two-gaussians&flow=spline&layers=6&bins=16&hidden=64,64&batch=500&steps=2000&lr=0.002' },
  { name: 'two-gaussians-cnf', query: 'data=two-gaussians&flow=cnf&hidden=128,128,128&batch=512&steps=10000&lr=0.002' },
  { name: 'chequerboard-realnvp', query: 'data=chequerboard&flow=realnvp&layers=10&hidden=64,64&batch=1000&steps=3000&lr=0.003' },
  { name: 'chequerboard-spline', query: 'data=chequerboard&flow=spline&layers=6&bins=16&hidden=64,64&batch=500&steps=2000&lr=0.002' },
  { name: 'chequerboard-cnf', query: 'data=chequerboard&flow=cnf&hidden=128,128,128&batch=512&steps=10000&lr=0.005' },
];
const HELD_OUT = 20_000;

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : null;
const pictures = args.includes('--pictures');

await selectBackend({ backend: 'wasm' });
registerSplineBijectors();
const executablePath = process.env.CHROME_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', preview: { port: 0, host: '127.0.0.1' } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });

/** KL(p ‖ q) of saved-model files on held-out points of the toy, in Node: mean and standard error. */
async function heldOutKl(files, data) {
  const dir = mkdtempSync(join(tmpdir(), 'playground-kl-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), name.endsWith('.json') ? content : Buffer.from(content, 'base64'));
  const model = await loadModel(dir);
  const toy = toyByName(data);
  const differences = [];
  for (let start = 0; start < HELD_OUT; start += 2000) {
    const values = tf.tidy(() => {
      const x = toy.sample(2000, { random: 9_000_001 + start });
      return tf.sub(toy.logProb(x), model.logProb(x)).dataSync();
    });
    differences.push(...values);
  }
  model.dispose();
  toy.dispose();
  const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
  const variance = differences.reduce((a, b) => a + (b - mean) ** 2, 0) / (differences.length - 1);
  return { kl: mean, standardError: Math.sqrt(variance / differences.length) };
}

async function screenshotFrame(page, frame) {
  const slider = page.locator('#field-slider');
  await slider.fill(String(frame));
  await slider.dispatchEvent('input');
  await page.waitForTimeout(200);
  return decode(await page.locator('#field-view > figure').first().screenshot());
}

/** Frames side by side, on a white background, as one PNG. */
function sideBySide(images) {
  const gap = 12;
  const width = images.reduce((sum, image) => sum + image.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((image) => image.height));
  const data = new Uint8Array(width * height * 4).fill(255);
  let left = 0;
  for (const image of images) {
    for (let y = 0; y < image.height; y++)
      for (let x = 0; x < image.width; x++) {
        const from = (y * image.width + x) * image.channels;
        const to = (y * width + left + x) * 4;
        for (let c = 0; c < 3; c++) data[to + c] = image.data[from + c];
        data[to + 3] = 255;
      }
    left += image.width + gap;
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}

const rows = [];
for (const run of RUNS) {
  if (only && !only.includes(run.name)) continue;
  const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}?${run.query}&seed=0&backend=wasm&autostart=1`);
  await page.waitForFunction(() => 'playground' in window);
  await page.evaluate(() => window.playground.ready);
  const started = Date.now();
  let status;
  for (;;) {
    status = await page.evaluate(() => window.playground.status());
    process.stderr.write(`\r${run.name}: step ${status.step}/${status.totalSteps}, KL ${status.kl?.toFixed(4) ?? '–'}   `);
    if (status.done || status.error) break;
    await page.waitForTimeout(2000);
  }
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write('\n');
  if (status.error) throw new Error(`${run.name}: ${status.error}`);
  const files = await page.evaluate(() => window.playground.exportModel());
  const held = await heldOutKl(files, status.dataset);
  const row = {
    name: run.name,
    query: run.query,
    pageKl: status.kl,
    pageKlStandardError: status.klStandardError,
    heldOutKl: held.kl,
    heldOutStandardError: held.standardError,
    seconds,
    samplesPerSecond: status.samplesPerSecond,
    backend: status.backendDescription,
    errors,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
  if (pictures && run.name === 'chequerboard-cnf') {
    await page.waitForTimeout(3000);
    const last = Number(await page.locator('#field-slider').getAttribute('max'));
    const frames = [];
    for (const frame of [0, Math.round(last / 2), last]) frames.push(await screenshotFrame(page, frame));
    writeFileSync(join(root, 'docs', 'vector-field.png'), sideBySide(frames));
    console.error('written: docs/vector-field.png');
  }
  await page.close();
}
console.log('\n| run | page KL (nats) | held-out KL (nats) | wall time | samples/s |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.pageKl.toFixed(4)} ± ${r.pageKlStandardError.toFixed(4)} | ${r.heldOutKl.toFixed(4)} ± ${r.heldOutStandardError.toFixed(4)} | ${Math.round(r.seconds)} s | ${Math.round(r.samplesPerSecond)} |`,
  );
await browser.close();
await new Promise((resolve) => server.httpServer.close(resolve));
