import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '@flows/datasets';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImagePageHooks, ImagePageStatus } from '../src/images/page-status.js';
import { appRoot, browserSkipReason, ensureArtifacts, launchChromium, servePlayground } from './browser.js';

const skip = browserSkipReason();

type Hooks = { imagePage: ImagePageHooks };

const cli = (app: string) => join(appRoot, '..', app, 'dist', 'cli.js');
function run(app: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [cli(app), ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`${app} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** The model folder's files, as a user picks them: model.json and the weights file it names. */
function modelFiles(folder: string): string[] {
  const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as { weights: { file: string } };
  return [join(folder, 'model.json'), join(folder, json.weights.file)];
}

const pageStatus = (page: Page) => page.evaluate(() => (window as unknown as Hooks).imagePage.status());

async function until(page: Page, what: string, test: (status: ImagePageStatus) => boolean, timeoutMs = 120_000): Promise<ImagePageStatus> {
  const started = Date.now();
  for (;;) {
    const now = await pageStatus(page);
    if (test(now)) return now;
    if (now.error) throw new Error(`the page says: ${now.error} (waiting for ${what})`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(now)}`);
    await page.waitForTimeout(250);
  }
}

describe.skipIf(skip !== null)('the image page in headless Chromium', () => {
  let server: PreviewServer;
  let url = '';
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const root = mkdtempSync(join(tmpdir(), 'image-page-'));
  const idf = join(root, 'idf');
  const density = join(root, 'density');
  const vae = join(root, 'vae');

  beforeAll(async () => {
    // Tiny models trained with the apps' own commands (seconds): a two-level integer flow, a Real NVP, and a VAE.
    const idfOptions = ['--layers', '2', '--levels', '2', '--hidden', '32', '--prior-hidden', '16', '--components', '3', '--batch-size', '50', '--lr', '1e-3'];
    const quick = ['--epochs', '1', '--limit', '300', '--backend', 'cpu', '--quiet'];
    await Promise.all([
      run('flow-codec', ['train', '--out', idf, ...idfOptions, ...quick]),
      run('mnist-flow', ['train', '--out', density, '--layers', '2', '--hidden', '32', '--batch-size', '100', ...quick]),
      run('vae-eval', ['train', '--prior', 'gaussian', '--out', vae, '--latent', '10', '--iw-samples', '2', ...quick]),
    ]);
    ({ server, url } = await servePlayground());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
    await page.goto(new URL('images.html', url).href);
    await page.waitForFunction(() => 'imagePage' in window, undefined, { timeout: 60_000 });
    await page.evaluate(() => (window as unknown as Hooks).imagePage.ready);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  it('loads an mnist-flow model from its files: samples at a temperature and an interpolation between two test digits', async () => {
    await page.setInputFiles('#density-files', modelFiles(join(density, 'model')));
    const loaded = await until(page, 'the samples and the interpolation', (s) => s.samplesDrawn > 0 && s.interpolationDrawn > 0);
    expect(loaded.density).toMatch(/mnist-flow coupling flow/);
    // Moving the slider draws new samples.
    await page.locator('#temperature').fill('1');
    await until(page, 'samples at temperature 1', (s) => s.samplesDrawn > 1);
    expect(await page.locator('#samples-caption').textContent()).toMatch(/temperature 1\.00/);
    expect(errors).toEqual([]);
  });

  it('codes 100 test digits with the integer flow and bits-back with the VAE, decodes them byte for byte, shows the size table, and flow-codec decompress reads both files', async () => {
    await page.setInputFiles('#idf-files', modelFiles(join(idf, 'model')));
    await until(page, 'the integer flow', (s) => s.idf !== null);
    const checkpoint = join(vae, 'gaussian', 'run-1', 'checkpoint');
    await page.setInputFiles('#vae-files', [
      join(checkpoint, 'checkpoint.json'),
      ...readdirSync(checkpoint)
        .filter((name) => name.endsWith('.bin'))
        .map((name) => join(checkpoint, name)),
    ]);
    await until(page, 'the VAE', (s) => s.vae !== null);
    expect(await page.locator('#code-count').inputValue()).toBe('100');
    await page.click('#code-test');
    const done = await until(page, 'the round trips', (s) => s.sizes !== null && !s.busy, 240_000);
    const result = done.result!;
    const bitsBack = done.vaeResult!;
    expect(result).toMatchObject({ count: 100, byteExact: true });
    expect(bitsBack).toMatchObject({ count: 100, byteExact: true });
    expect(result.fileBitsPerDim).toBeLessThan(8);
    expect(bitsBack.fileBitsPerDim).toBeLessThan(1);
    // The size table: each codec's group with the raw size, its file, and the browser's own PNG and WebP of the same digits.
    const rows = await page.locator('#size-table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
    expect(rows.map((row) => `${row[0]}: ${row[1]}`)).toEqual([
      '8-bit: raw bytes',
      '8-bit: integer flow (.fcod)',
      '8-bit: PNG (one file per digit)',
      '8-bit: WebP (one file per digit)',
      'binarized: binarized: raw bits',
      'binarized: bits-back with the VAE (.fcod)',
      'binarized: binarized PNG (one file per digit)',
      'binarized: binarized WebP (one file per digit)',
    ]);
    expect(done.sizes!.find((row) => row.method.startsWith('integer flow'))!.bytes).toBe(result.fileBytes);
    expect(done.sizes!.find((row) => row.method.startsWith('bits-back'))!.bytes).toBe(bitsBack.fileBytes);
    for (const row of done.sizes!.filter((row) => /PNG|WebP/.test(row.method))) expect(row.note).toMatch(/lossless: every pixel decoded back/);
    // The page's files are flow-codec's: decompress in Node gives the same digits (binarized for the VAE, as 0 and 255).
    const mnist = await loadMnist('test');
    const digits = Uint8Array.from(mnist.images.subarray(0, 100 * 784));
    const files = {
      idf: await page.evaluate(() => (window as unknown as Hooks).imagePage.lastFile()),
      vae: await page.evaluate(() => (window as unknown as Hooks).imagePage.lastVaeFile()),
    };
    for (const [name, model, expected] of [
      ['idf', join(idf, 'model'), digits],
      ['vae', join(vae, 'gaussian', 'run-1'), digits.map((value) => (value >= 128 ? 255 : 0))],
    ] as const) {
      const file = join(root, `digits-${name}.fcod`);
      writeFileSync(file, Uint8Array.from(files[name]!));
      const out = join(root, `decoded-${name}`);
      await run('flow-codec', ['decompress', file, '--model', model, '--out', out, '--backend', 'cpu', '--quiet']);
      expect(Uint8Array.from(readFileSync(join(out, 'images-idx3-ubyte')).subarray(16)), name).toEqual(expected);
    }
    const directory = ensureArtifacts();
    writeFileSync(join(directory, 'image-page-times.json'), `${JSON.stringify({ digits: 100, integerFlow: result, bitsBack, sizes: done.sizes }, null, 2)}\n`);
    console.log(
      `image page, 100 test digits: integer flow encoded in ${result.encodeSeconds.toFixed(2)} s, decoded in ${result.decodeSeconds.toFixed(2)} s (${result.fileBytes} bytes); ` +
        `bits-back encoded in ${bitsBack.encodeSeconds.toFixed(2)} s, decoded in ${bitsBack.decodeSeconds.toFixed(2)} s (${bitsBack.fileBytes} bytes)`,
    );
    await page.screenshot({ path: join(directory, 'image-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('is linked from the playground’s header', async () => {
    const main = await browser.newPage();
    await main.goto(url);
    const link = main.locator('header a[href="./images.html"]');
    expect(await link.count()).toBe(1);
    await link.click();
    await main.waitForFunction(() => 'imagePage' in window, undefined, { timeout: 60_000 });
    expect(await main.locator('h1').textContent()).toMatch(/MNIST models in the page/);
    await main.close();
  });

  it('codes dropped greyscale PNG digits and refuses one of another size, naming it', async () => {
    const mnist = await loadMnist('test');
    const folder = mkdtempSync(join(root, 'pngs-'));
    const digit = join(folder, 'seven.png');
    writeFileSync(digit, encode({ width: 28, height: 28, data: mnist.images.slice(0, 784), channels: 1, depth: 8 }));
    const big = join(folder, 'big.png');
    writeFileSync(big, encode({ width: 32, height: 32, data: new Uint8Array(32 * 32), channels: 1, depth: 8 }));
    await page.setInputFiles('#png-files', [digit]);
    const coded = await until(page, 'the dropped digit', (s) => s.result?.count === 1 && !s.busy);
    expect(coded.result!.byteExact).toBe(true);
    await page.setInputFiles('#png-files', [digit, big]);
    await page.waitForFunction(() => (window as unknown as Hooks).imagePage.status().error !== null);
    expect(await page.locator('#message').textContent()).toMatch(/big\.png is 32×32; the models code 28×28 greyscale digits/);
    expect(errors).toEqual([]);
  });

  it('codes 20 test digits by local bits-back with the shipped multi-scale flow loaded as the density model, byte for byte, in a file flow-codec decompress reads', async () => {
    const shipped = join(appRoot, '..', '..', 'packages', 'pretrained', 'models', 'mnist-multiscale');
    await page.setInputFiles('#density-files', modelFiles(shipped));
    const loaded = await until(page, 'the shipped flow', (s) => s.densityCodes && s.samplesDrawn > 0);
    expect(loaded.density).toMatch(/mnist-flow multi-scale flow, .* logit preprocessing \(α = 0\.000001\); it codes digits by local bits-back/);
    await page.locator('#code-count').fill('20');
    await page.click('#code-test');
    const done = await until(page, 'the round trips', (s) => s.flowResult !== null && s.sizes !== null && !s.busy, 240_000);
    const flow = done.flowResult!;
    expect(flow).toMatchObject({ count: 20, byteExact: true });
    // 20 digits carry the chain's initial words (about 2 KB): the per-image rate is what a long file approaches.
    expect(flow.idealBitsPerDim).toBeGreaterThan(0.8);
    expect(flow.idealBitsPerDim).toBeLessThan(1.6);
    const rows = done.sizes!.filter((row) => row.group === '8-bit, density flow').map((row) => row.method);
    expect(rows).toEqual(['raw bytes', 'local bits-back with the density flow (.fcod)', 'PNG (one file per digit)', 'WebP (one file per digit)']);
    const bytes = await page.evaluate(() => (window as unknown as Hooks).imagePage.lastFlowFile());
    const file = join(root, 'digits-flow.fcod');
    writeFileSync(file, Uint8Array.from(bytes!));
    const out = join(root, 'decoded-flow');
    await run('flow-codec', ['decompress', file, '--model', 'pretrained:mnist-multiscale', '--out', out, '--quiet']);
    const mnist = await loadMnist('test');
    expect(Uint8Array.from(readFileSync(join(out, 'images-idx3-ubyte')).subarray(16))).toEqual(Uint8Array.from(mnist.images.subarray(0, 20 * 784)));
    console.log(
      `image page, 20 test digits by local bits-back: encoded in ${flow.encodeSeconds.toFixed(2)} s, decoded in ${flow.decodeSeconds.toFixed(2)} s (${flow.fileBytes} bytes)`,
    );
  });
});
