import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, bundleForBrowser, evaluateInChromium } from '@flows/test-support';
import { type ContainerDescription, sha256, writeContainer } from './container.js';
import { quantizedDiscretizedLogistic } from './quantized-distribution.js';
import { RansStack } from './rans.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// One Chromium finder and skip rule for every browser suite (they skip with a line where Chromium is
// missing, except under the README's test command, FLOWS_REQUIRE_ALL=1).
const skip = browserSkipReason('decoding in Chromium') !== null;

/** The page: fetches the file, checks it, decodes every pixel with the same quantised model, and checks the data digest. */
const PAGE_SCRIPT = `
import { assertDecoded, quantizedDiscretizedLogistic, RansStack, readContainer } from '@flows/codec';
window.decodeHere = async () => {
  const file = new Uint8Array(await (await fetch('/image.fc')).arrayBuffer());
  const { description, message } = await readContainer(file, 'image.fc');
  const stack = RansStack.fromBytes(message);
  const pixels = new Uint8Array(description.count * description.shape.reduce((a, b) => a * b, 1));
  for (let k = pixels.length - 1; k >= 0; k--) pixels[k] = stack.pop(quantizedDiscretizedLogistic(description.means[k], description.logScale));
  await assertDecoded(description, pixels, 'image.fc');
  return { pixels: Array.from(pixels), empty: stack.isEmpty };
};
`;

describe.skipIf(skip)('a file coded in Node decodes in Chromium', () => {
  let server: Server;
  let port = 0;
  let file: Uint8Array;
  let pixels: Uint8Array;
  let script = '';

  beforeAll(async () => {
    // A 28 × 28 "image" coded pixel by pixel under discretized logistics whose means vary with the pixel.
    pixels = Uint8Array.from({ length: 784 }, (_, k) => Math.min(255, Math.max(0, Math.round(128 + 100 * Math.sin(k / 37) + ((k * 7919) % 23) - 11))));
    const means = Array.from(pixels, (_, k) => 128 + 100 * Math.sin(k / 37));
    const logScale = Math.log(8);
    const stack = new RansStack();
    pixels.forEach((value, k) => {
      const model = quantizedDiscretizedLogistic(means[k], logScale);
      stack.push(model.interval(value), model.precision);
    });
    const description: ContainerDescription = {
      codec: 'rans-test',
      modelHash: 'test',
      count: 1,
      shape: [28, 28],
      dataHash: await sha256(pixels),
      means,
      logScale,
    };
    file = await writeContainer(description, stack.toBytes());
    // The page imports the package by name, as a user's bundle would; here it is this package's own source.
    script = await bundleForBrowser(PAGE_SCRIPT, packageRoot, { '@flows/codec': join(packageRoot, 'src', 'index.ts') });
    server = createServer((request, response) => {
      if (request.url === '/')
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>codec</title><script type="module" src="/page.js"></script>');
      else if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else if (request.url === '/image.fc') response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => {
    server?.close();
  });

  it('byte for byte, with the file and data digests checked in the page', async () => {
    const { value, errors } = await evaluateInChromium<{ pixels: number[]; empty: boolean }>(`http://127.0.0.1:${port}/`, 'decodeHere', 'window.decodeHere()');
    expect(errors).toEqual([]);
    expect(value.pixels).toEqual(Array.from(pixels));
    expect(value.empty).toBe(true);
  });
});
