import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkipReason, findChromium } from '@flows/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundler, buildPage, type PageBuild } from './build-page.js';
import { serveIsolated } from './isolated-server.js';

/**
 * The page a new user writes: the umbrella package and the toys, `await selectBackend()` and a few
 * steps of training, exposed as `window.trainHere` for the test to call. Each bundler builds it as
 * it is, from a temporary folder.
 */
const PAGE_SCRIPT = `
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, fit, realNVP, selectBackend } from '@flows/flows';
import { toyByName } from '@flows/datasets';

window.trainHere = async (options) => {
  const choice = await selectBackend(options);
  const data = toyByName('two-gaussians').sample(2000, { random: 1 });
  const flow = realNVP({ size: 2, layers: 4, hidden: [16, 16], seed: 0 });
  const losses = [];
  const result = await fit(flow, data, { epochs: 2, batchSize: 200, learningRate: 5e-3, random: 2, reportEvery: 5, onProgress: (p) => losses.push(p.loss) });
  return {
    backend: tf.getBackend(),
    description: describeBackend(choice),
    threadsFailed: choice.threadsFailed ?? null,
    threadedBuild: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    isolated: globalThis.crossOriginIsolated === true,
    first: losses[0],
    last: result.loss,
  };
};

window.chooseTwice = async (options) => [describeBackend(await selectBackend(options)), describeBackend(await selectBackend(options))];
`;

/**
 * Imported before the page: thread workers that never answer. Every worker made from a blob: URL
 * (emscripten's thread workers) runs an empty script instead, as when a worker hangs.
 */
const SILENT_THREAD_WORKERS = `
const RealWorker = globalThis.Worker;
globalThis.Worker = class extends RealWorker {
  constructor(url, options) {
    super(String(url).startsWith('blob:') ? URL.createObjectURL(new Blob([''], { type: 'text/javascript' })) : url, options);
  }
};
`;

interface Trained {
  backend: string;
  description: string;
  threadsFailed: string | null;
  threadedBuild: boolean;
  isolated: boolean;
  first: number;
  last: number;
}

/** Longer than the fallback's clock (5 s) and any run here: a start that hangs fails the test with this line instead of the test's timeout. */
const HANG_MS = 60_000;
const skip = browserSkipReason('production builds of a page in Chromium');

describe.skipIf(skip !== null)('production builds of Vite 8, webpack 5 and esbuild, served cross-origin isolated', () => {
  let browser: Browser | undefined;
  const servers: Server[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    const executablePath = findChromium();
    if (!executablePath) throw new Error("no Chromium found: install Debian's 'chromium' or set CHROME_PATH; FLOWS_SKIP_BROWSER=1 skips this test");
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) server.close();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  /** Builds the page, serves it with the isolation headers and calls `window[call](options)` there; returns its value, the page's uncaught errors and the library's console warnings. */
  async function run<T>(build: PageBuild, call: 'trainHere' | 'chooseTwice', options: Record<string, unknown> = {}) {
    const work = mkdtempSync(join(tmpdir(), `flows-${build.bundler}-`));
    folders.push(work);
    const { folder } = await buildPage(work, PAGE_SCRIPT, build);
    const { server, url } = await serveIsolated(folder);
    servers.push(server);
    const page = await browser!.newPage();
    const errors: string[] = [];
    const warnings: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'warning' && message.text().startsWith('flows:')) warnings.push(message.text());
    });
    try {
      await page.goto(url);
      await page.waitForFunction((name) => name in window, call, { timeout: 30_000 });
      const value = (await Promise.race([
        page.evaluate(`window.${call}(${JSON.stringify(options)})`),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`window.${call} did not finish in ${HANG_MS / 1000} s (the page hangs)`)), HANG_MS)),
      ])) as T;
      return { value, errors, warnings };
    } finally {
      await page.close();
    }
  }

  it.each<Bundler>(['vite', 'webpack', 'esbuild'])(
    "%s with the README's setting: `await selectBackend()` starts the threaded wasm build and trains, with no page errors",
    async (bundler) => {
      const { value, errors, warnings } = await run<Trained>({ bundler, settings: 'documented' }, 'trainHere');
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
      expect(value.isolated).toBe(true);
      expect(value.backend).toBe('wasm');
      expect(value.threadedBuild).toBe(true);
      expect(value.threadsFailed).toBeNull();
      expect(value.last).toBeLessThan(value.first - 0.2);
    },
  );

  it("Vite 8's defaults (its minifier breaks the thread workers' script): wasm falls back to one thread with a warning naming why, and trains", async () => {
    const { value, warnings } = await run<Trained>({ bundler: 'vite', settings: 'default' }, 'trainHere');
    expect(value.backend).toBe('wasm');
    expect(value.threadsFailed).toMatch(/a thread worker threw '.*ReferenceError: \w+ is not defined'/);
    expect(value.threadedBuild).toBe(false);
    expect(value.description).toMatch(/^backend: wasm, single-threaded \(threads did not start: a thread worker threw/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/threads did not start \(a thread worker threw .*ReferenceError.*single-threaded SIMD build instead.*#bundlers/);
    expect(value.last).toBeLessThan(value.first - 0.2);
  });

  it('thread workers that never load the module: after the timeout, one thread with a warning, never a hang', async () => {
    const { value, warnings } = await run<Trained>({ bundler: 'esbuild', settings: 'documented', prelude: SILENT_THREAD_WORKERS }, 'trainHere', {
      backend: 'wasm',
    });
    expect(value.backend).toBe('wasm');
    expect(value.threadsFailed).toBe('the thread workers had not loaded the module 5 s after it was sent');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/threads did not start \(the thread workers had not loaded the module 5 s after it was sent\)/);
    expect(value.last).toBeLessThan(value.first - 0.2);
  });

  it('.wasm files missing: the automatic choice runs cpu and warns once in the console, naming the URL and the fix', async () => {
    const { value, warnings } = await run<string[]>({ bundler: 'esbuild', settings: 'documented', wasmFiles: false }, 'chooseTwice');
    for (const description of value)
      expect(description).toMatch(/^backend: cpu \(auto; .*wasm: the 'wasm' backend did not start: its \.wasm files were not found: http:/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^flows: the wasm backend cannot start: its \.wasm files were not found: http:\/\/127\.0\.0\.1:\d+\/tfjs-backend-wasm-threaded-simd\.wasm \(HTTP 404\)\./,
    );
    expect(warnings[0]).toMatch(/Serve the three \.wasm files of @tensorflow\/tfjs-backend-wasm\/dist\//);
    expect(warnings[0]).toMatch(/selectBackend\(\{ wasmPaths: /);
  });
});
