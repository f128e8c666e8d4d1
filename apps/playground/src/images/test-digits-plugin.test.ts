import { gunzipSync } from 'node:zlib';
import { loadMnist } from '@flows/datasets';
import { describe, expect, it } from 'vitest';
import { mnistTestDigits, TEST_DIGIT_COUNT, TEST_DIGITS_MODULE } from './test-digits-plugin.js';

describe('the test digits the image page carries', () => {
  it('are the first MNIST test images and labels, in order, from the build', async () => {
    const plugin = mnistTestDigits();
    const resolve = plugin.resolveId as (id: string) => string | null;
    const load = plugin.load as (id: string) => Promise<string | null>;
    expect(resolve('another-module')).toBeNull();
    const code = await load(resolve(TEST_DIGITS_MODULE) as string);
    const values = Object.fromEntries([...(code ?? '').matchAll(/^export const (\w+) = (.*);$/gm)].map(([, name, value]) => [name, JSON.parse(value)])) as {
      count: number;
      labels: number[];
      imagesGzipBase64: string;
    };
    const test = await loadMnist('test');
    expect(values.count).toBe(TEST_DIGIT_COUNT);
    expect(values.labels).toEqual(Array.from(test.labels.subarray(0, TEST_DIGIT_COUNT)));
    const pixels = new Uint8Array(gunzipSync(Buffer.from(values.imagesGzipBase64, 'base64')));
    expect(pixels).toEqual(Uint8Array.from(test.images.subarray(0, TEST_DIGIT_COUNT * 784)));
  });
});
