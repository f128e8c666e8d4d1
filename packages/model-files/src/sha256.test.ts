import { createHash } from 'node:crypto';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './sha256.js';

describe('sha256Hex', () => {
  it('matches the standard vectors and node:crypto at every length around the block boundaries', () => {
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const random = new Random(1);
    for (let length = 0; length < 300; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random.uniform() * 256));
      expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const large = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
    expect(sha256Hex(large)).toBe(createHash('sha256').update(large).digest('hex'));
  });
});
