import { describe, expect, it } from 'vitest';
import { imageBaselines, packBits, streamBaselines } from './baselines.js';

describe('the general-purpose baselines', () => {
  it('packs binary pixels eight to a byte, most significant bit first', () => {
    expect(Array.from(packBits(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1, 1])))).toEqual([0b10000001, 0b11000000]);
  });

  it('run gzip, bzip2, xz and brotli on one stream, checked by decoding, and name their settings', async () => {
    // A compressible stream: a repeated ramp with a little noise.
    const stream = Uint8Array.from({ length: 20_000 }, (_, k) => (k % 97) + (k % 13 === 0 ? 1 : 0));
    const results = await streamBaselines(stream, 'a test stream');
    expect(results.map((r) => r.codec)).toEqual(['gzip', 'bzip2', 'xz', 'brotli']);
    for (const result of results) {
      expect(result.bytes).toBeGreaterThan(0);
      expect(result.bytes).toBeLessThan(stream.length / 10);
      expect(result.settings).toContain('a test stream');
    }
  });

  it('run PNG and lossless WebP per image and as one sprite, checked by decoding', async () => {
    const pixels = Uint8Array.from({ length: 3 * 28 * 28 }, (_, k) => ((k * 31) % 7 === 0 ? 255 : 0));
    const results = await imageBaselines(pixels, 3, 28, 28);
    expect(results.map((r) => r.codec)).toEqual(['PNG, one file per image', 'PNG, one sprite', 'WebP, one file per image', 'WebP, one sprite']);
    expect(results[0].settings).toContain('1-bit palette');
    for (const result of results) expect(result.bytes).toBeGreaterThan(20);
  });
});
