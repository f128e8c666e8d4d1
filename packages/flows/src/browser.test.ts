import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { afterAll, describe, expect, it } from 'vitest';
import { browserSkipReason, findChromium } from '@flows/test-support';
import { realNVP } from '@flows/builders';
import { saveModel } from '@flows/model-files';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(packageRoot, 'dist/browser/flows.js');

const skip = browserSkipReason('saved models in Chromium') !== null;

describe.skipIf(skip)('the same model files in a browser', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('headless Chromium loads a saved model with the browser build on its wasm backend and gets the Node log-densities', async () => {
    const chromiumPath = findChromium();
    if (!chromiumPath)
      throw new Error("no Chromium found: install Debian's 'chromium' (apt-get install chromium) or set CHROME_PATH; FLOWS_SKIP_BROWSER=1 skips this test");
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run the package build first`);

    const model = realNVP({ size: 3, layers: 4, hidden: [16, 16], mask: 'random', seed: 4 });
    const random = new Random(5);
    for (const v of model.trainableVariables) v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.3), v.shape)));
    const dir = mkdtempSync(join(tmpdir(), 'flows-browser-'));
    await saveModel(model, join(dir, 'model'));
    const points = [
      [0.1, -0.4, 1.2],
      [2, 0.5, -1],
      [-0.7, 0.3, 0.05],
    ];
    const nodeValues = Array.from(model.logProb(tf.tensor2d(points)).dataSync());

    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname === '/') {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<!doctype html><title>flows</title>');
        return;
      }
      // The bundle and the .wasm files beside it, as dist/browser/ is laid out; the model from dir.
      const beside = /^\/[\w.-]+\.wasm$/.test(url.pathname) ? join(dirname(bundle), url.pathname.slice(1)) : null;
      const file = url.pathname === '/flows.js' ? bundle : (beside ?? normalize(join(dir, url.pathname)));
      if (!file.startsWith(dir) && file !== bundle && file !== beside) {
        response.writeHead(403).end();
        return;
      }
      try {
        const body = readFileSync(file);
        response.writeHead(200, {
          'content-type': file.endsWith('.js')
            ? 'text/javascript'
            : file.endsWith('.json')
              ? 'application/json'
              : file.endsWith('.wasm')
                ? 'application/wasm'
                : 'application/octet-stream',
        });
        response.end(body);
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/`);
      // A string, so the test runner's transform does not rewrite the page's import().
      const script = `(async () => {
        const flows = await import('http://127.0.0.1:${port}/flows.js');
        const choice = await flows.selectBackend({ backend: 'wasm' });
        const loaded = await flows.loadModelFromUrl('http://127.0.0.1:${port}/model/');
        return { backend: flows.tf.getBackend(), line: flows.describeBackend(choice), values: Array.from(loaded.logProb(flows.tf.tensor2d(${JSON.stringify(points)})).dataSync()) };
      })()`;
      const { backend, values: browserValues } = (await page.evaluate(script)) as { backend: string; line: string; values: number[] };
      expect(errors).toEqual([]);
      expect(backend).toBe('wasm');
      browserValues.forEach((v, i) => expect(Math.abs(v - nodeValues[i])).toBeLessThan(1e-5));
    } finally {
      await browser.close();
    }
  });
});
