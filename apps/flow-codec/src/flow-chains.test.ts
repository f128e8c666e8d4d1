import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RansError } from '@flows/codec';
import { loadMnist } from '@flows/datasets';
import { loadModel, selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { workerRunner } from './chain-workers.js';
import { chainCount, chainSizes, decodeInChains, encodeInChains, runHere } from './flow-chains.js';
import { type CompiledFlow, compileFlow } from './flow-local-bits-back.js';

const SHIPPED = join(import.meta.dirname, '..', '..', '..', 'packages', 'pretrained', 'models', 'mnist-multiscale');
const WORKER = join(import.meta.dirname, '..', 'dist', 'flow-chain-worker.js');
const alpha = 1e-6;

let flow: CompiledFlow;
let images: Uint8Array[];

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  const model = await loadModel(SHIPPED);
  flow = compileFlow(model);
  model.dispose();
  const test = await loadMnist('test');
  images = Array.from({ length: 24 }, (_, k) => Uint8Array.from(test.images.subarray(k * 784, (k + 1) * 784)));
});

describe('local bits-back coding in chains', () => {
  it('splits a set into chains of at least the minimum, as evenly as it goes', () => {
    expect(chainCount(10_000, 4)).toBe(4);
    expect(chainCount(2_500, 4)).toBe(2);
    expect(chainCount(999, 4)).toBe(1);
    expect(chainCount(24, 3, 8)).toBe(3);
    expect(chainSizes(10, 3)).toEqual([4, 3, 3]);
  });

  it('codes 24 digits in three chains on this thread and in worker threads to the same bytes, and decodes them back either way', async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: build first (pnpm --filter @flows/flow-codec build)`);
    const workers = workerRunner(2, pathToFileURL(WORKER));
    expect(workers).not.toBeNull();
    const here = await encodeInChains(flow, images, { alpha, chains: 3, minimumPerChain: 8 });
    const threaded = await encodeInChains(flow, images, { alpha, chains: 3, minimumPerChain: 8, run: workers! });
    expect(here.chains.map((c) => c.count)).toEqual([8, 8, 8]);
    expect(threaded.chains).toEqual(here.chains);
    expect(threaded.message).toEqual(here.message);
    const expected = images.map((image) => Array.from(image));
    const back = await decodeInChains(flow, here.message, 24, here.chains, { alpha, run: workers! });
    expect(back.map((image) => Array.from(image))).toEqual(expected);
    expect((await decodeInChains(flow, here.message, 24, here.chains, { alpha, run: runHere })).map((image) => Array.from(image))).toEqual(expected);
    // A worker's error comes back as the same kind of error: a message that does not come back to its seed.
    const swapped = [here.chains[1], here.chains[0], here.chains[2]];
    await expect(decodeInChains(flow, here.message, 24, swapped, { alpha, run: workers! })).rejects.toThrow(RansError);
    await expect(decodeInChains(flow, here.message, 23, here.chains, { alpha })).rejects.toThrow(
      /the chains hold 24 images in \d+ bytes; the file has 23 images/,
    );
  });
});
