#!/usr/bin/env node
// `pnpm --filter @flows/playground screenshots`: the README's pictures, taken from the built page in
// headless Chromium: a Chequerboard run of the spline flow (densities, samples, curves) and the layer-by-layer view of
// a TwoGaussians run stopped after 4 of its 8 layers. Writes docs/chequerboard-run.png and
// docs/layer-by-layer.png.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('apps/playground/dist is missing: run pnpm build first');
  process.exit(1);
}
const executablePath = process.env.CHROME_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', preview: { port: 0, host: '127.0.0.1' } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });

async function run(query) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
  await page.goto(`${url}?${query}&autostart=1`);
  await page.waitForFunction(() => 'playground' in window);
  await page.evaluate(() => window.playground.ready);
  const started = Date.now();
  for (;;) {
    const status = await page.evaluate(() => window.playground.status());
    process.stderr.write(`\r${query.split('&')[0]}: step ${status.step}/${status.totalSteps}, KL ${status.kl?.toFixed(4) ?? '–'}   `);
    if (status.done || status.error) break;
    if (Date.now() - started > 20 * 60_000) throw new Error('the run took longer than 20 minutes');
    await page.waitForTimeout(2000);
  }
  process.stderr.write('\n');
  // Let the last pictures arrive.
  await page.waitForTimeout(2500);
  return page;
}

// The spline flow, with the settings of the README's KL table (scripts/kl-table.mjs' chequerboard-spline row).
const chequerboard = await run('data=chequerboard&flow=spline&layers=6&bins=16&hidden=64,64&batch=500&steps=2000&lr=0.002&seed=0&backend=wasm');
console.log(`Chequerboard spline run: KL ${(await chequerboard.evaluate(() => window.playground.status())).kl?.toFixed(4)}`);
await chequerboard.locator('main').screenshot({ path: join(root, 'docs', 'chequerboard-run.png'), clip: undefined });
await chequerboard.close();

const layers = await run('data=two-gaussians&flow=realnvp&layers=8&hidden=64,64&batch=1000&steps=800&lr=0.002&seed=0&backend=wasm');
await layers
  .locator('#density-model svg')
  .first()
  .click({ position: { x: 180, y: 160 } });
await layers.waitForTimeout(2500);
await layers.locator('#layer-slider').fill('4');
await layers.locator('#layer-slider').dispatchEvent('input');
await layers.waitForTimeout(500);
await layers.locator('#layers-section').screenshot({ path: join(root, 'docs', 'layer-by-layer.png') });
await layers.close();

await browser.close();
await new Promise((resolve) => server.httpServer.close(resolve));
console.log('written: docs/chequerboard-run.png, docs/layer-by-layer.png');
