import type { ContainerDescription } from '@flows/codec';
import { describe, expect, it } from 'vitest';
import { checkCodable, validateCodedDescription } from './coded-description.js';
import type { ImageSet } from './images.js';

const HASH = 'a'.repeat(64);
const idf: ContainerDescription = {
  codec: 'rans-idf',
  binarized: false,
  modelHash: HASH,
  count: 2,
  shape: [4, 4],
  dataHash: HASH,
  source: { kind: 'png', names: ['a.png', 'b.png'] },
  exactPath: 2,
};
const vae: ContainerDescription = { ...idf, codec: 'bb-ans-vae', binarized: true, latentBits: 12, latentScale: 1.5, initialWords: 32 };
const flow: ContainerDescription = {
  ...idf,
  codec: 'local-bits-back-flow',
  chains: [
    { count: 1, initialWords: 495, bytes: 2100 },
    { count: 1, initialWords: 490, bytes: 2080 },
  ],
  logitAlpha: 1e-6,
};

describe('the description of a flow-codec file', () => {
  it('passes what compress writes, and ignores fields this version does not use', () => {
    expect(validateCodedDescription(idf, 'x.fcod')).toEqual(idf);
    expect(validateCodedDescription(vae, 'x.fcod').latentScale).toBe(1.5);
    expect(validateCodedDescription(flow, 'x.fcod').logitAlpha).toBe(1e-6);
    expect(validateCodedDescription({ ...idf, source: { kind: 'mnist', split: 'train' }, note: 'later' }, 'x.fcod').source).toEqual({
      kind: 'mnist',
      split: 'train',
    });
  });

  it('names the first bad field, its value and "the file is corrupt or was crafted"', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ codec: 'gzip' }, /codec is "gzip", which this version does not know/],
      [{ modelHash: 'ABC' }, /modelHash is "ABC", not a SHA-256 digest/],
      [{ shape: [4, 4, 4] }, /shape is \[4,4,4\], not the height and width of an image/],
      [{ shape: [70_000, 1] }, /shape\[0\] is 70000, more than 65536 pixels/],
      [{ binarized: true }, /binarized is true, not false as the codec rans-idf writes/],
      [{ source: { kind: 'png', names: ['a.png', '../b.png'] } }, /source\.names\[1\] holds a path separator/],
      [{ source: { kind: 'png', names: ['a.png', 'A.png'] } }, /names images 0 and 1 "a.png" and "A.png", which are one file/],
      [{ source: { kind: 'png', names: ['a.png'] } }, /source\.names is "1 names", not one for each of its 2 images/],
      [{ source: { kind: 'tar' } }, /source\.kind is "tar", none of idx, mnist and png/],
      [{ source: [] }, /source is \[\], not an object/],
    ];
    for (const [change, message] of cases) {
      expect(() => validateCodedDescription({ ...idf, ...change }, 'x.fcod')).toThrow(message);
      expect(() => validateCodedDescription({ ...idf, ...change }, 'x.fcod')).toThrow(/^x\.fcod: the description.*the file is corrupt or was crafted/);
    }
    for (const [change, message] of [
      [{ latentBits: 0 }, /latentBits is 0, not a whole number from 1 to 16/],
      [{ latentBits: undefined }, /latentBits is missing/],
      [{ latentScale: -1 }, /latentScale is -1, not a number above 0/],
      [{ initialWords: 2 ** 30 }, /initialWords is 1073741824, not a whole number from 2 to 2\^20/],
    ] as const)
      expect(() => validateCodedDescription({ ...vae, ...change }, 'x.fcod')).toThrow(message);
    for (const [change, message] of [
      [{ chains: [] }, /chains is \[\], not a list of 1 to 64 chains/],
      [
        {
          chains: [
            { count: 2, initialWords: 495, bytes: 2100 },
            { count: 1, initialWords: 490, bytes: 2080 },
          ],
        },
        /chains is "3 images in all", not its count 2/,
      ],
      [
        {
          chains: [
            { count: 1, initialWords: 1, bytes: 2100 },
            { count: 1, initialWords: 490, bytes: 2080 },
          ],
        },
        /chains\[0\]\.initialWords is 1, not a whole number from 2 to 2\^20/,
      ],
      [
        {
          chains: [
            { count: 1, initialWords: 495, bytes: -1 },
            { count: 1, initialWords: 490, bytes: 2080 },
          ],
        },
        /chains\[0\]\.bytes is -1, not a whole number of bytes/,
      ],
      [{ chains: [null, { count: 1, initialWords: 490, bytes: 2080 }] }, /chains\[0\]\.count is missing/],
      [{ logitAlpha: 0.5 }, /logitAlpha is 0\.5, not a number between 0 and 0\.5/],
      [{ logitAlpha: undefined }, /logitAlpha is missing/],
      [{ exactPath: undefined }, /exactPath is missing, but every local-bits-back-flow file records one/],
    ] as const)
      expect(() => validateCodedDescription({ ...flow, ...change }, 'x.fcod')).toThrow(message);
  });

  it('names the exact path that computed a file: a newer one, a bad value, and a bits-back file from before it', () => {
    // An integer flow's file from before the exact path is decoded (it mostly does); a failure then names why (decompress).
    expect(validateCodedDescription({ ...idf, exactPath: undefined }, 'x.fcod').exactPath).toBeUndefined();
    expect(() => validateCodedDescription({ ...idf, exactPath: 3 }, 'x.fcod')).toThrow(
      /^x\.fcod was written by exact-path version 3, and this flow-codec decodes exact-path version 2: decode it with a newer flow-codec$/,
    );
    // Version 1's integer flows and VAEs computed what version 2's do; its local bits-back steps were others.
    expect(validateCodedDescription({ ...idf, exactPath: 1 }, 'x.fcod').exactPath).toBe(1);
    expect(validateCodedDescription({ ...vae, exactPath: 1 }, 'x.fcod').exactPath).toBe(1);
    expect(() => validateCodedDescription({ ...flow, exactPath: 1 }, 'x.fcod')).toThrow(
      /^x\.fcod was written by exact-path version 1, whose local bits-back steps this flow-codec \(exact-path version 2\) no longer takes: decode it with the flow-codec that wrote it$/,
    );
    for (const value of [0, 1.5, '1', -1, null, 2 ** 21])
      expect(() => validateCodedDescription({ ...idf, exactPath: value }, 'x.fcod')).toThrow(
        /the description's exactPath is .*, not a whole number from 1 to 2\^20: the file is corrupt or was crafted/,
      );
    expect(() => validateCodedDescription({ ...vae, exactPath: undefined }, 'x.fcod')).toThrow(
      /x\.fcod was written by a flow-codec from before exact-path coding, whose coupling shifts and VAE probabilities came from the float32 kernels .*: bits-back files of that version decode only with the flow-codec and the backend that wrote them/,
    );
  });

  it('compress refuses sets that no file could carry back, before coding', () => {
    const set = (count: number, height: number, width: number, source: ImageSet['source'] = { kind: 'idx' }): ImageSet => ({
      pixels: new Uint8Array(0),
      count,
      height,
      width,
      source,
    });
    expect(() => checkCodable(set(0, 4, 4), '--input x')).toThrow(/--input x holds no images/);
    expect(() => checkCodable(set(1, 70_000, 1), '--input x')).toThrow(/more than 65536 pixels on a side/);
    expect(() => checkCodable(set(500_000, 28, 28), '--input x')).toThrow(/more than 2\^28 pixels, the most one file holds; code fewer at a time with --limit/);
    expect(() => checkCodable(set(2, 4, 4, { kind: 'png', names: ['a.png', 'nul.png'] }), '--input x')).toThrow(/"nul.png" starts with "nul"/);
    expect(() => checkCodable(set(2, 4, 4, { kind: 'png', names: ['a.png', 'b.png'] }), '--input x')).not.toThrow();
  });
});
