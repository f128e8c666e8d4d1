import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { loadModel, realNVP, saveModel, selectBackend } from '@flows/flows';
import type { Browser } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium, openPlayground, servePlayground, type Status } from './browser.js';

const skip = browserSkipReason();
const RUN = 'data=two-gaussians&flow=realnvp&layers=4&hidden=16,16&batch=200&steps=50&lr=0.005&seed=3';
const POINTS: [number, number][] = [
  [0.25, 0.25],
  [0.75, 0.75],
  [0.5, 0.2],
  [-0.5, 1.5],
];
const STEPS = 8;

type Hooks = {
  playground: {
    importModel(files: Record<string, string>): Promise<unknown>;
    logProb(points: [number, number][]): Promise<number[]>;
    step(steps: number): Promise<Status>;
  };
};

interface BackendRun {
  backend: string;
  description: string;
  logProb: number[];
  /** Training loss after STEPS steps on the imported model (fresh Adam, the run's seeded data). */
  loss: number;
  trainedLogProb: number[];
}

/**
 * On one backend: import the model saved in Node, read its log-densities, train it a few steps,
 * read them again. The same numbers are expected on every backend, to float32 tolerance.
 */
async function runOn(browser: Browser, url: string, backend: string, files: Record<string, string>): Promise<BackendRun> {
  const errors: string[] = [];
  const page = await openPlayground(browser, url, `${RUN}&backend=${backend}`, errors);
  try {
    await page.evaluate((given) => (window as unknown as Hooks).playground.importModel(given), files);
    const logProb = await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    const status = await page.evaluate((steps) => (window as unknown as Hooks).playground.step(steps), STEPS);
    const trainedLogProb = await page.evaluate((points) => (window as unknown as Hooks).playground.logProb(points), POINTS);
    expect(errors).toEqual([]);
    expect(status.backend).toBe(backend);
    return { backend: status.backend, description: status.backendDescription, logProb, loss: status.loss, trainedLogProb };
  } finally {
    await page.close();
  }
}

const close = (a: number[], b: number[], tolerance: number) =>
  a.forEach((value, k) => expect(Math.abs(value - b[k])).toBeLessThan(tolerance * Math.max(1, Math.abs(b[k]))));

describe.skipIf(skip !== null)('every backend of the page agrees with Node', () => {
  let server: PreviewServer;
  let url = '';
  const files: Record<string, string> = {};
  let nodeLogProb: number[] = [];
  let wasm: BackendRun;

  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', nativeKernels: false });
    ({ server, url } = await servePlayground());
    const model = realNVP({ size: 2, layers: 3, hidden: [16, 16], seed: 21 });
    const random = new Random(21);
    for (const v of model.trainableVariables) v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.2), v.shape)));
    const dir = mkdtempSync(join(tmpdir(), 'playground-backends-'));
    const json = await saveModel(model, dir);
    model.dispose();
    files['model.json'] = readFileSync(join(dir, 'model.json'), 'utf8');
    files[json.weights.file] = readFileSync(join(dir, json.weights.file)).toString('base64');
    const loaded = await loadModel(dir);
    const x = tf.tensor2d(POINTS);
    nodeLogProb = Array.from(await loaded.logProb(x).data());
    tf.dispose([x]);
    loaded.dispose();
    const browser = await launchChromium();
    try {
      wasm = await runOn(browser, url, 'wasm', files);
    } finally {
      await browser.close();
    }
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  it('wasm: log-densities as in Node', () => {
    close(wasm.logProb, nodeLogProb, 1e-5);
  });

  it('WebGL (SwiftShader here) and cpu: log-densities and a few training steps as on wasm', async () => {
    const browser = await launchChromium();
    try {
      for (const backend of ['webgl', 'cpu']) {
        const run = await runOn(browser, url, backend, files);
        close(run.logProb, nodeLogProb, 1e-4);
        expect(Math.abs(run.loss - wasm.loss)).toBeLessThan(1e-3);
        close(run.trainedLogProb, wasm.trainedLogProb, 1e-3);
      }
    } finally {
      await browser.close();
    }
  });

  it('WebGPU, where Chromium gives an adapter here: the same run as on wasm', async (context) => {
    const browser = await launchChromium(true);
    try {
      const errors: string[] = [];
      const probe = await openPlayground(browser, url, `${RUN}&backend=cpu`, errors);
      const adapter = await probe.evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { description?: string; vendor?: string } } | null> } }).gpu;
        if (!gpu) return 'no navigator.gpu';
        const found = await gpu.requestAdapter();
        return found ? null : 'navigator.gpu gives no adapter';
      });
      await probe.close();
      if (adapter) {
        console.warn(`skipped: WebGPU in Chromium: ${adapter} (Chromium runs with --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader)`);
        context.skip();
        return;
      }
      const run = await runOn(browser, url, 'webgpu', files);
      expect(run.description).toMatch(/backend: webgpu on /);
      close(run.logProb, nodeLogProb, 1e-4);
      expect(Math.abs(run.loss - wasm.loss)).toBeLessThan(1e-3);
      close(run.trainedLogProb, wasm.trainedLogProb, 1e-3);
    } finally {
      await browser.close();
    }
  });
});
