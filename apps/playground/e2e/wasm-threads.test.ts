import os from 'node:os';
import type { Browser } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium, openPlayground, servePlayground, type Status } from './browser.js';

const cores = os.cpus().length;
const skip = browserSkipReason() ?? (cores < 2 ? `wasm threads in the page: this machine has ${cores} core, and threads need 2` : null);
if (skip) console.warn(`skipped: ${skip}`);

const RUN = 'data=two-gaussians&flow=realnvp&layers=4&hidden=32,32&batch=256&steps=100&lr=0.005&seed=3&backend=wasm';

type Hooks = { playground: { step(steps: number): Promise<Status> } };

describe.skipIf(skip !== null)("wasm threads in the playground's worker (cross-origin isolated, as pnpm playground serves it)", () => {
  let server: PreviewServer;
  let url = '';
  let browser: Browser;

  beforeAll(async () => {
    ({ server, url } = await servePlayground());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  it('runs the threaded build with one thread per core (at most 8), the own SIMD kernels on all of them, and trains', async () => {
    const errors: string[] = [];
    const page = await openPlayground(browser, url, RUN, errors);
    try {
      const isolated = await page.evaluate(() => crossOriginIsolated);
      expect(isolated).toBe(true);
      const first = await page.evaluate(() => (window as unknown as { playground: { status(): Status } }).playground.status());
      // TensorFlow.js's own cap is half the cores (one thread on two): the worker asks for every core.
      expect(first.backendDescription).not.toMatch(/threads did not start/);
      const threads = Number(/wasm, (\d+) threads/.exec(first.backendDescription)?.[1] ?? 1);
      expect(threads, first.backendDescription).toBe(Math.min(cores, 8));
      // The threads are the own SIMD kernels' (the matrix products and Adam split between helper
      // workers on the shared heap), which started in the page; TensorFlow.js's XNNPACK keeps one.
      expect(first.backendDescription).toContain(`own SIMD kernels on ${threads} threads`);
      const trained = await page.evaluate((steps) => (window as unknown as Hooks).playground.step(steps), 20);
      expect(trained.step).toBe(20);
      expect(Number.isFinite(trained.loss)).toBe(true);
      expect(trained.error).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
