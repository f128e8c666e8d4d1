import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ContinuousFlow, registerContinuousFlows } from '@flows/continuous';
import { toyByName } from '@flows/datasets';
import { loadModel, selectBackend } from '@flows/flows';
import { decode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot, browserSkipReason, ensureArtifacts, launchChromium, openPlayground, servePlayground, status, untilDone } from './browser.js';

const skip = browserSkipReason();

/**
 * The continuous flow's scripted run: TwoGaussians on wasm by flow matching, short enough for CI
 * (about 30 s of training on a quiet machine), long enough that the KL is far below the untrained
 * flow's (3.3 nats): about 0.12.
 */
const RUN = 'data=two-gaussians&flow=cnf&hidden=64,64&batch=500&steps=1500&lr=0.005&seed=0&solver-steps=8&backend=wasm';
/** A loose bound on the KL of the short run: the untrained flow's is 3.3 nats. */
const KL_BOUND = 0.3;
const POINTS: [number, number][] = [
  [0.25, 0.25],
  [0.75, 0.75],
  [0.5, 0.5],
  [0.1, 0.9],
];

type Hooks = {
  playground: {
    exportModel(): Promise<Record<string, string>>;
    logProb(points: [number, number][]): Promise<number[]>;
  };
};

/** Distinct colours in a PNG screenshot. */
function distinctColours(png: Buffer): number {
  const image = decode(png);
  const seen = new Set<number>();
  for (let i = 0; i < image.data.length; i += image.channels) seen.add((image.data[i] << 16) | (image.data[i + 1] << 8) | image.data[i + 2]);
  return seen.size;
}

/** What the vector-field view shows now: its arrows, particles, title and time label. */
function fieldView(page: Page) {
  return page.evaluate(() => {
    const svg = document.querySelector('#field-view svg');
    return {
      arrows: svg?.querySelectorAll('g[aria-label="vector"] path').length ?? 0,
      particles: svg?.querySelectorAll('g[aria-label="dot"] circle').length ?? 0,
      trails: svg?.querySelectorAll('g[aria-label="line"] path').length ?? 0,
      axes: svg?.querySelectorAll('g[aria-label="x-axis tick"], g[aria-label="y-axis tick"]').length ?? 0,
      title: document.querySelector('#field-view h2')?.textContent ?? '',
      time: document.getElementById('field-label')?.textContent ?? '',
    };
  });
}

describe.skipIf(skip !== null)('the playground trains a continuous flow in headless Chromium', () => {
  let server: PreviewServer;
  let url = '';
  let browser: Browser;
  const errors: string[] = [];
  let page: Page;

  beforeAll(async () => {
    // Node's side of the comparisons runs on wasm too (stock kernels), as the page does.
    await selectBackend({ backend: 'wasm', nativeKernels: false });
    registerContinuousFlows();
    ({ server, url } = await servePlayground());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  it('autostarts ?flow=cnf: training progresses to the end, the KL falls below a loose bound, and only the settings that apply are shown', async () => {
    page = await openPlayground(browser, url, `${RUN}&autostart=1`, errors);
    const first = await status(page);
    expect(first).toMatchObject({ modelKind: 'continuous', totalSteps: 1500, error: null });
    await page.waitForFunction((step) => (window as unknown as { playground: { status(): { step: number } } }).playground.status().step > step, first.step, {
      timeout: 60_000,
    });
    const done = await untilDone(page, 240_000);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ done: true, step: 1500, backend: 'wasm', modelKind: 'continuous' });
    expect(Number.isFinite(done.loss)).toBe(true);
    expect(done.kl).not.toBeNull();
    expect(done.kl!).toBeLessThan(KL_BOUND);
    expect(await page.textContent('#status-loss')).toMatch(/flow matching/);
    const visible = (id: string) => page.isVisible(`#${id}`);
    expect(await visible('setting-solverSteps')).toBe(true);
    for (const id of ['setting-layers', 'setting-mask', 'setting-bins', 'layers-section']) expect(await visible(id), id).toBe(false);
    expect(errors).toEqual([]);
  });

  it('draws the vector field as arrows with the particles carried along it, animated from the base to the data, with axes and a title', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#field-view svg g[aria-label="dot"] circle').length > 0, undefined, { timeout: 30_000 });
    expect(await page.isVisible('#field-section')).toBe(true);
    const view = await fieldView(page);
    expect(view).toMatchObject({ arrows: 15 * 15, particles: 300, trails: 40, axes: 2 });
    expect(view.title).toMatch(/^Vector field v\(x, t\) and particles at t = \d\.\d\d/);
    // The animation moves on by itself: the time shown changes within a second or two.
    await page.waitForFunction((before) => document.getElementById('field-label')?.textContent !== before, view.time, { timeout: 10_000 });
    // The slider stops it at a time: at t = 0 the particles are the base's, at the end the model's.
    const slider = page.locator('#field-slider');
    await slider.fill('0');
    await slider.dispatchEvent('input');
    expect((await fieldView(page)).title).toMatch(/t = 0\.00 \(the base\)/);
    await slider.fill(await slider.getAttribute('max').then((max) => max ?? '32'));
    await slider.dispatchEvent('input');
    expect((await fieldView(page)).title).toMatch(/t = 1\.00 \(the model\)/);
    expect(await page.textContent('#field-play')).toBe('Play');
    // The container, not its figure: training goes on, and every refresh of the field replaces the figure.
    const shot = await page.locator('#field-view').screenshot({ path: join(ensureArtifacts(), 'cnf-vector-field.png') });
    // Arrows, particles, trails, axes: more than a blank frame's few colours.
    expect(distinctColours(shot)).toBeGreaterThan(20);
    await page.screenshot({ path: join(ensureArtifacts(), 'cnf-two-gaussians-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("exports a model that toy-flow and loadModel read with the page's log-densities, whose KL on held-out points is below the bound", async () => {
    const files = await page.evaluate(() => (window as unknown as Hooks).playground.exportModel());
    const dir = mkdtempSync(join(tmpdir(), 'playground-cnf-export-'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), name.endsWith('.json') ? content : Buffer.from(content, 'base64'));
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))).toMatchObject({
      model: { className: 'ContinuousFlow' },
      metadata: { app: 'playground', dataset: 'two-gaussians', settings: { flow: 'cnf' } },
    });
    const model = await loadModel(dir);
    expect(model).toBeInstanceOf(ContinuousFlow);
    const inPage = await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    const x = tf.tensor2d(POINTS);
    const inNode = Array.from(await model.logProb(x).data());
    // The adaptive solver chooses its steps from float32 error norms: the page and Node agree to its tolerance.
    inNode.forEach((value, k) => expect(Math.abs(value - inPage[k]), `point ${k}`).toBeLessThan(1e-4));
    // toy-flow logprob --model reads the folder as its own.
    const input = join(dir, 'points.csv');
    writeFileSync(input, `x,y\n${POINTS.map((p) => p.join(',')).join('\n')}\n`);
    const cli = join(appRoot, '..', 'toy-flow', 'dist', 'cli.js');
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cli, 'logprob', '--model', dir, '--input', input, '--backend', 'wasm'], { encoding: 'utf8' }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    output
      .trim()
      .split('\n')
      .map(Number)
      .forEach((value, k) => expect(Math.abs(value - inPage[k]), `toy-flow, point ${k}`).toBeLessThan(1e-4));
    // KL(p ‖ q) on 2 000 held-out points of the toy (not the page's own KL samples), by the saved solver.
    const toy = toyByName('two-gaussians');
    const held = toy.sample(2000, { random: 424_242 });
    const differences = Array.from(tf.tidy(() => tf.sub(toy.logProb(held), model.logProb(held)).dataSync()));
    const kl = differences.reduce((sum, d) => sum + d, 0) / differences.length;
    expect(kl).toBeGreaterThan(-0.02);
    expect(kl).toBeLessThan(KL_BOUND);
    tf.dispose([x, held]);
    toy.dispose();
    model.dispose();
    await page.close();
    expect(errors).toEqual([]);
  });
});
