import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, findChromium } from '@flows/test-support';

// What a user does: bundle a page that imports the packages' main entries with esbuild for the
// browser, serve the wasm backend's three .wasm files as the README says, and open it in Chromium.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

const PAGE_SCRIPT = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { describeBackend, fit, realNVP, selectBackend } from '@flows/flows';
import { toyByName } from '@flows/datasets';

window.trainHere = async (options) => {
  const choice = await selectBackend(options);
  const data = toyByName('two-gaussians').sample(2000, { random: 1 });
  const flow = realNVP({ size: 2, layers: 4, hidden: [16, 16], seed: 0 });
  const losses = [];
  const result = await fit(flow, data, { epochs: 4, batchSize: 200, learningRate: 5e-3, random: 2, reportEvery: 10, onProgress: (p) => losses.push(p.loss) });
  const logProb = await flow.logProb(tf.tensor2d([[0.25, 0.25]])).data();
  return { backend: tf.getBackend(), description: describeBackend(choice), first: losses[0], last: result.loss, logProb: logProb[0] };
};
`;

const skip = browserSkipReason('the browser bundle in Chromium') !== null;

describe.skipIf(skip)('the main entries bundled for the browser', () => {
  let server: Server | undefined;
  let root = '';
  let port = 0;
  let browser: import('playwright-core').Browser | undefined;

  beforeAll(async () => {
    const chromiumPath = findChromium();
    if (!chromiumPath)
      throw new Error("no Chromium found: install Debian's 'chromium' (apt-get install chromium) or set CHROME_PATH; FLOWS_SKIP_BROWSER=1 skips this test");
    root = mkdtempSync(join(tmpdir(), 'flows-bundle-'));
    const { build } = await import('esbuild');
    // No externals, no shims: Node-only code must not be reachable by the bundler.
    const result = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: packageRoot, sourcefile: 'page.js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(root, 'with-files', 'page.js'),
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    // Three pages: the .wasm files beside the page (the default place), under /wasm/ (wasmPaths), or nowhere.
    const wasmDirectory = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    mkdirSync(join(root, 'wasm'));
    mkdirSync(join(root, 'without-files'));
    for (const file of WASM_FILES) {
      copyFileSync(join(wasmDirectory, file), join(root, 'with-files', file));
      copyFileSync(join(wasmDirectory, file), join(root, 'wasm', file));
    }
    copyFileSync(join(root, 'with-files', 'page.js'), join(root, 'without-files', 'page.js'));
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path.endsWith('/')) {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>flows</title><script type="module" src="page.js"></script>');
        return;
      }
      const file = normalize(join(root, path));
      if (!file.startsWith(root)) {
        response.writeHead(403).end();
        return;
      }
      try {
        const body = readFileSync(file);
        response.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/wasm' }).end(body);
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--headless=new', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  const train = async (page: string, options: Record<string, unknown>) => {
    const tab = await browser!.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    try {
      await tab.goto(`http://127.0.0.1:${port}/${page}/`);
      await tab.waitForFunction(() => 'trainHere' in window, undefined, { timeout: 60_000 });
      const result = (await tab.evaluate(`window.trainHere(${JSON.stringify(options)})`)) as {
        backend: string;
        description: string;
        first: number;
        last: number;
        logProb: number;
      };
      expect(errors).toEqual([]);
      return result;
    } finally {
      await tab.close();
    }
  };

  it('bundles with no Node modules and trains on wasm, with the files beside the page or at wasmPaths', async () => {
    for (const [page, options] of [
      ['with-files', { backend: 'wasm' }],
      ['without-files', { backend: 'wasm', wasmPaths: `http://127.0.0.1:${port}/wasm/` }],
    ] as const) {
      const run = await train(page, options);
      expect(run.backend).toBe('wasm');
      expect(run.last).toBeLessThan(run.first - 0.2);
      expect(Number.isFinite(run.logProb)).toBe(true);
    }
  });

  it('trains on WebGL when named (here a software renderer), to the wasm figures within float32 tolerance', async () => {
    const webgl = await train('with-files', { backend: 'webgl' });
    const wasm = await train('with-files', { backend: 'wasm' });
    expect(webgl.backend).toBe('webgl');
    expect(webgl.description).toMatch(/backend: webgl on .*\(software\)/);
    expect(webgl.last).toBeLessThan(webgl.first - 0.2);
    expect(Math.abs(webgl.last - wasm.last)).toBeLessThan(0.05);
  });

  it('picks by itself: a software WebGL is passed over for wasm, and missing .wasm files are reported, not silently replaced by cpu', async () => {
    const auto = await train('with-files', {});
    expect(auto.backend).toBe('wasm');
    expect(auto.description).toMatch(/skipped .*webgl: only a software renderer/);
    const missing = await train('without-files', {});
    expect(missing.backend).toBe('cpu');
    expect(missing.description).toMatch(/wasm: the 'wasm' backend did not start: its \.wasm files were not found/);
  });
});
