import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '@flows/datasets';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot, browserSkipReason, ensureArtifacts, launchChromium, servePlayground } from './browser.js';

const skip = browserSkipReason();

interface ImagePageStatus {
  backend: string;
  density: string | null;
  idf: string | null;
  samplesDrawn: number;
  interpolationDrawn: number;
  busy: boolean;
  result: { count: number; byteExact: boolean; encodeSeconds: number; decodeSeconds: number; fileBytes: number; fileBitsPerDim: number } | null;
  sizes: { method: string; bytes: number; note: string }[] | null;
  error: string | null;
}
type Hooks = { imagePage: { ready: Promise<void>; status(): ImagePageStatus; lastFile(): number[] | null } };

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

  beforeAll(async () => {
    // Tiny models trained with the apps' own commands (seconds): a two-level integer flow, and a Real NVP.
    await Promise.all([
      run('flow-codec', [
        'train',
        ...['--out', idf, '--epochs', '1', '--limit', '300', '--layers', '2', '--levels', '2', '--hidden', '32', '--prior-hidden', '16'],
        ...['--components', '3', '--batch-size', '50', '--lr', '1e-3', '--backend', 'cpu', '--quiet'],
      ]),
      run('mnist-flow', [
        'train',
        '--out',
        density,
        '--epochs',
        '1',
        '--limit',
        '300',
        '--layers',
        '2',
        '--hidden',
        '32',
        '--batch-size',
        '100',
        '--backend',
        'cpu',
        '--quiet',
      ]),
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

  it('codes 100 test digits with the integer flow, decodes them byte for byte, shows the size table, and flow-codec decompress reads the file', async () => {
    await page.setInputFiles('#idf-files', modelFiles(join(idf, 'model')));
    await until(page, 'the integer flow', (s) => s.idf !== null);
    expect(await page.locator('#code-count').inputValue()).toBe('100');
    await page.click('#code-test');
    const done = await until(page, 'the round trip', (s) => s.result !== null && !s.busy, 240_000);
    const result = done.result!;
    expect(result).toMatchObject({ count: 100, byteExact: true });
    expect(result.fileBitsPerDim).toBeLessThan(8);
    // The size table: raw, the flow's file, and the browser's own PNG and WebP of the same digits.
    const methods = await page.locator('#size-table tbody tr td:first-child').allTextContents();
    expect(methods).toEqual(['raw bytes', 'integer flow (.fcod)', 'PNG (one file per digit)', 'WebP (one file per digit)']);
    expect(done.sizes!.find((row) => row.method.startsWith('integer flow'))!.bytes).toBe(result.fileBytes);
    for (const row of done.sizes!.slice(2)) expect(row.note).toMatch(/lossless: every pixel decoded back/);
    // The page's file is flow-codec's: decompress in Node gives the same digits.
    const file = join(root, 'digits.fcod');
    writeFileSync(file, Uint8Array.from((await page.evaluate(() => (window as unknown as Hooks).imagePage.lastFile()))!));
    const out = join(root, 'decoded');
    await run('flow-codec', ['decompress', file, '--model', join(idf, 'model'), '--out', out, '--backend', 'cpu', '--quiet']);
    const idx = readFileSync(join(out, 'images-idx3-ubyte'));
    const mnist = await loadMnist('test');
    expect(Uint8Array.from(idx.subarray(16))).toEqual(Uint8Array.from(mnist.images.subarray(0, 100 * 784)));
    const directory = ensureArtifacts();
    writeFileSync(
      join(directory, 'image-page-times.json'),
      `${JSON.stringify({ digits: 100, encodeSeconds: result.encodeSeconds, decodeSeconds: result.decodeSeconds, fileBytes: result.fileBytes, sizes: done.sizes }, null, 2)}\n`,
    );
    console.log(
      `image page: 100 test digits encoded in ${result.encodeSeconds.toFixed(2)} s, decoded in ${result.decodeSeconds.toFixed(2)} s (${result.fileBytes} bytes)`,
    );
    await page.screenshot({ path: join(directory, 'image-page.png'), fullPage: true });
    expect(errors).toEqual([]);
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
});
