#!/usr/bin/env node
// The README's picture of the image page (docs/image-page.png), and its timings: the built page in
// headless Chromium, given model folders as a person would pick them, codes the first N test digits
// and prints the round trips' times. Usage (after pnpm build):
//   node scripts/image-page-screenshot.mjs --density RUN/model --idf RUN/model [--vae RUN/<prior>/run-1/checkpoint] [--count 100] [--out docs/image-page.png]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    density: { type: 'string' },
    idf: { type: 'string' },
    vae: { type: 'string' },
    count: { type: 'string', default: '100' },
    out: { type: 'string', default: join(root, 'docs', 'image-page.png') },
  },
});
if (!values.density || !values.idf) {
  console.error('give --density (mnist-flow train’s model folder) and --idf (flow-codec train’s model folder)');
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'images.html'))) {
  console.error('apps/playground/dist is missing: run pnpm build first');
  process.exit(1);
}
const modelFiles = (folder) => [join(folder, 'model.json'), join(folder, JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')).weights.file)];
const executablePath = process.env.CHROME_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', preview: { port: 0, host: '127.0.0.1' } });
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  await page.goto(new URL('images.html', server.resolvedUrls.local[0]).href);
  await page.waitForFunction(() => 'imagePage' in window);
  await page.evaluate(() => window.imagePage.ready);
  const until = async (test) => {
    for (;;) {
      const status = await page.evaluate(() => window.imagePage.status());
      if (status.error) throw new Error(status.error);
      if (test(status)) return status;
      await page.waitForTimeout(250);
    }
  };
  await page.setInputFiles('#density-files', modelFiles(values.density));
  await until((s) => s.samplesDrawn > 0 && s.interpolationDrawn > 0);
  await page.setInputFiles('#idf-files', modelFiles(values.idf));
  await until((s) => s.idf !== null);
  if (values.vae) {
    const bins = readdirSync(values.vae).filter((name) => name.endsWith('.bin'));
    await page.setInputFiles('#vae-files', [join(values.vae, 'checkpoint.json'), ...bins.map((name) => join(values.vae, name))]);
    await until((s) => s.vae !== null);
  }
  await page.fill('#code-count', values.count);
  await page.click('#code-test');
  const done = await until((s) => s.sizes !== null && !s.busy);
  for (const [name, result] of [
    ['integer flow', done.result],
    ['bits-back', done.vaeResult],
  ])
    if (result)
      console.log(
        `${name}: ${result.count} digits, encoded in ${result.encodeSeconds.toFixed(2)} s, decoded in ${result.decodeSeconds.toFixed(2)} s, ${result.fileBitsPerDim.toFixed(3)} bits/dim, byte-exact ${result.byteExact}`,
      );
  for (const row of done.sizes) console.log(`  ${row.group}: ${row.method}: ${row.bytes} bytes, ${row.bitsPerDim.toFixed(3)} bits/dim`);
  await page.screenshot({ path: values.out, fullPage: true });
  console.log(`screenshot: ${values.out}`);
} finally {
  await browser.close();
  server.httpServer.close();
}
