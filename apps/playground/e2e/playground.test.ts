import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { loadModel, realNVP, saveModel, selectBackend } from '@flows/flows';
import { importTorchFiles, registerTorchImport } from '@flows/import-torch';
import { decode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot, browserSkipReason, ensureArtifacts, launchChromium, openPlayground, servePlayground, status, untilDone } from './browser.js';

const skip = browserSkipReason();

/** The scripted run of the tests: TwoGaussians on wasm, small enough for CI, long enough to fit (KL ≈ 0.02). */
const RUN = 'data=two-gaussians&flow=realnvp&layers=6&hidden=32,32&batch=500&steps=800&lr=0.005&seed=0&backend=wasm';
const require = createRequire(import.meta.url);
const POINTS: [number, number][] = [
  [0.25, 0.25],
  [0.75, 0.75],
  [0.5, 0.5],
  [0.1, 0.9],
];

type Hooks = {
  playground: {
    exportModel(): Promise<Record<string, string>>;
    importModel(files: Record<string, string>): Promise<unknown>;
    logProb(points: [number, number][]): Promise<number[]>;
    step(steps: number): Promise<unknown>;
    message(): { text: string; error: boolean } | null;
  };
};

/** Distinct colours in a PNG screenshot: a blank (one-colour) heatmap has one or two. */
function distinctColours(png: Buffer): number {
  const image = decode(png);
  const channels = image.channels;
  const seen = new Set<number>();
  for (let i = 0; i < image.data.length; i += channels) seen.add((image.data[i] << 16) | (image.data[i + 1] << 8) | image.data[i + 2]);
  return seen.size;
}

async function modelInNode(seed: number): Promise<string> {
  const model = realNVP({ size: 2, layers: 3, hidden: [16, 16], seed });
  const random = new Random(seed);
  for (const v of model.trainableVariables) v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.2), v.shape)));
  const dir = mkdtempSync(join(tmpdir(), 'playground-node-model-'));
  await saveModel(model, dir, { app: 'toy-flow', dataset: 'two-gaussians' });
  model.dispose();
  return dir;
}

async function logProbInNode(dir: string, points: [number, number][]): Promise<number[]> {
  const model = await loadModel(dir);
  const x = tf.tensor2d(points);
  const values = Array.from(await model.logProb(x).data());
  x.dispose();
  model.dispose();
  return values;
}

describe.skipIf(skip !== null)('the playground in headless Chromium', () => {
  let server: PreviewServer;
  let url = '';
  let browser: Browser;
  const errors: string[] = [];
  let trained: Page;

  beforeAll(async () => {
    // Node's side of the comparisons runs on wasm too (stock kernels), as the page does.
    await selectBackend({ backend: 'wasm', nativeKernels: false });
    ({ server, url } = await servePlayground());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  it('loads with no console errors, trains TwoGaussians on wasm to KL ≤ 0.05, and draws a heatmap that is not blank', async () => {
    trained = await openPlayground(browser, url, `${RUN}&autostart=1`, errors);
    const done = await untilDone(trained, 240_000);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ done: true, step: 800, backend: 'wasm' });
    expect(done.kl).not.toBeNull();
    expect(done.kl!).toBeLessThanOrEqual(0.05);
    expect(done.samplesPerSecond).toBeGreaterThan(0);
    // The pictures follow the finished run within a refresh or two.
    await trained.waitForTimeout(1500);
    const directory = ensureArtifacts();
    const heatmap = await trained
      .locator('#density-model svg')
      .first()
      .screenshot({ path: join(directory, 'two-gaussians-model-density.png') });
    expect(distinctColours(heatmap)).toBeGreaterThan(30);
    await trained.screenshot({ path: join(directory, 'two-gaussians-page.png'), fullPage: true });
    expect(await trained.locator('#layers-view svg').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('is reproducible: the same seed and backend give the same model', async () => {
    const again = await openPlayground(browser, url, RUN.replace('steps=800', 'steps=40'), errors);
    const other = await openPlayground(browser, url, RUN.replace('steps=800', 'steps=40'), errors);
    for (const page of [again, other]) await page.evaluate(() => (window as unknown as Hooks).playground.step(40));
    const [first, second] = await Promise.all([again, other].map((page) => page.evaluate(() => (window as unknown as Hooks).playground.exportModel())));
    expect(JSON.parse(first['model.json']).weights.checksum).toBe(JSON.parse(second['model.json']).weights.checksum);
    await Promise.all([again.close(), other.close()]);
    expect(errors).toEqual([]);
  });

  it('exports the files saveModel writes: loadModel in Node gives the same log-densities', async () => {
    const files = await trained.evaluate(() => (window as unknown as Hooks).playground.exportModel());
    const dir = mkdtempSync(join(tmpdir(), 'playground-export-'));
    const names = Object.keys(files);
    expect(names).toContain('model.json');
    expect(names.some((name) => /^weights-[0-9a-f]{8}\.bin$/.test(name))).toBe(true);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), name.endsWith('.json') ? content : Buffer.from(content, 'base64'));
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).metadata).toMatchObject({ app: 'playground', dataset: 'two-gaussians' });
    const inNode = await logProbInNode(dir, POINTS);
    const inPage = await trained.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    inNode.forEach((value, k) => expect(Math.abs(value - inPage[k])).toBeLessThan(1e-5));
    // And the command-line app reads the folder as its own: toy-flow logprob --model.
    const input = join(dir, 'points.csv');
    writeFileSync(input, `x,y\n${POINTS.map((p) => p.join(',')).join('\n')}\n`);
    const cli = join(appRoot, '..', 'toy-flow', 'dist', 'cli.js');
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cli, 'logprob', '--model', dir, '--input', input, '--backend', 'wasm'], { encoding: 'utf8' }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const fromCli = output.trim().split('\n').map(Number);
    fromCli.forEach((value, k) => expect(Math.abs(value - inPage[k])).toBeLessThan(1e-5));
  });

  it('imports a model saved in Node through the file picker and shows the same log-densities', async () => {
    const dir = await modelInNode(11);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const page = await openPlayground(browser, url, RUN.replace('steps=800', 'steps=10'), errors);
    await page.setInputFiles('#import-files', [join(dir, 'model.json'), join(dir, json.weights.file)]);
    await page.waitForFunction(() =>
      (window as unknown as { playground: { status(): { origin: string } } }).playground.status()?.origin.startsWith('imported'),
    );
    const inPage = await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    const inNode = await logProbInNode(dir, POINTS);
    inNode.forEach((value, k) => expect(Math.abs(value - inPage[k])).toBeLessThan(1e-5));
    await page.close();
    expect(errors).toEqual([]);
  });

  it('imports flows trained with nflows and zuko (flows-import) through the file picker: the page gives the libraries’ own log-densities', async () => {
    const fixtures = join(dirname(require.resolve('@flows/import-torch/package.json')), 'fixtures');
    registerTorchImport();
    const page = await openPlayground(browser, url, RUN.replace('steps=800', 'steps=10'), errors);
    for (const name of ['nflows-maf', 'zuko-nsf', 'normflows-realnvp']) {
      const expected = JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8')) as {
        inputs: [number, number][];
        logProb64: number[];
        samples64: [number, number][];
      };
      const imported = await importTorchFiles(join(fixtures, name, 'flow.safetensors'));
      const dir = mkdtempSync(join(tmpdir(), `playground-imported-${name}-`));
      await saveModel(imported.model, dir, { importedFrom: imported.origin });
      imported.model.dispose();
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      await page.setInputFiles('#import-files', [join(dir, 'model.json'), join(dir, json.weights.file)]);
      await page.waitForFunction(
        (file) => (window as unknown as { playground: { status(): { origin: string } } }).playground.status()?.origin.includes(file),
        // The weights file's name holds its digest: unlike 'model.json', the previous import's origin does not match it.
        json.weights.file,
      );
      // Finite points only (a fixture also holds far-out inputs whose log-density is about -1000).
      const points = expected.inputs.filter((_, k) => expected.logProb64[k] > -60);
      const reference = expected.logProb64.filter((value) => value > -60);
      expect(points.length).toBeGreaterThan(4);
      const inPage = await page.evaluate((p) => (window as unknown as Hooks).playground.logProb(p), points);
      inPage.forEach((value, k) => expect(Math.abs(value - reference[k]), `${name}, point ${k}`).toBeLessThan(1e-4 * (1 + Math.abs(reference[k]))));
      // The pictures move to where the model lives: its samples (the library's own, from fixed base
      // points) fall inside the window, which before held only the data's unit square.
      const [[x0, x1], [y0, y1]] = await page.evaluate(
        () => (window as unknown as { playground: { status(): { range: number[][] } } }).playground.status().range,
      );
      const inside = expected.samples64.filter(([x, y]) => x >= x0 && x <= x1 && y >= y0 && y <= y1).length;
      expect(inside / expected.samples64.length, `${name}: samples inside [${x0}, ${x1}] × [${y0}, ${y1}]`).toBeGreaterThanOrEqual(0.9);
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(ensureArtifacts(), `imported-${name}.png`) });
    }
    await page.close();
    expect(errors).toEqual([]);
  });

  it('bad input gets a visible message naming the problem, and the run is not lost', async () => {
    const page = await openPlayground(browser, url, RUN.replace('steps=800', 'steps=20'), errors);
    await page.evaluate(() => (window as unknown as Hooks).playground.step(20));
    const before = await status(page);
    const weightsBefore = await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    const message = () => page.evaluate(() => (window as unknown as Hooks).playground.message());

    await page.setInputFiles('#csv-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y\n0.1,0.2\n0.3,oops\n') });
    await page.waitForFunction(() => (window as unknown as Hooks).playground.message()?.error === true);
    expect((await message())!.text).toMatch(/bad\.csv: line 3, column 2: 'oops' is not a finite number/);
    await page.screenshot({ path: join(ensureArtifacts(), 'bad-csv-message.png') });

    await page.setInputFiles('#csv-file', { name: 'three.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2,3\n4,5,6\n') });
    await page.waitForFunction(() => /three\.csv/.test((window as unknown as Hooks).playground.message()?.text ?? ''));
    expect((await message())!.text).toMatch(/three\.csv: has 3 columns; the playground trains on 2-D points/);

    // A corrupt weights file, then a model of the wrong dimension.
    const dir = await modelInNode(12);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, json.weights.file));
    await page.setInputFiles('#import-files', [
      { name: 'model.json', mimeType: 'application/json', buffer: readFileSync(join(dir, 'model.json')) },
      { name: json.weights.file, mimeType: 'application/octet-stream', buffer: weights.subarray(0, weights.length - 8) },
    ]);
    await page.waitForFunction(() => /truncated or corrupt/.test((window as unknown as Hooks).playground.message()?.text ?? ''));
    const wide = realNVP({ size: 3, layers: 1, hidden: [4] });
    const wideDir = mkdtempSync(join(tmpdir(), 'playground-3d-'));
    const wideJson = await saveModel(wide, wideDir);
    wide.dispose();
    await page.setInputFiles('#import-files', [join(wideDir, 'model.json'), join(wideDir, wideJson.weights.file)]);
    await page.waitForFunction(() => /3-dimensional/.test((window as unknown as Hooks).playground.message()?.text ?? ''));

    // A backend that cannot start (no WebGPU adapter without Chromium's WebGPU switches): named, and the run goes on.
    await page.selectOption('#backend', 'webgpu');
    await page.waitForFunction(() => /webgpu.*not available/.test((window as unknown as Hooks).playground.message()?.text ?? ''));
    expect(await page.inputValue('#backend')).toBe('wasm');

    const after = await status(page);
    expect(after).toMatchObject({ step: before.step, dataset: 'two-gaussians', origin: 'trained here', backend: 'wasm' });
    expect(await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS)).toEqual(weightsBefore);
    await page.close();
    expect(errors).toEqual([]);
  });
});
