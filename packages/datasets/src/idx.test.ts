import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataFileError, encodeIdx, inflateIdx, loadMnist, MAX_IDX_DATA_BYTES, parseIdx, parseIdxBytes, readIdxFile } from './index.js';

const tiny = () => {
  const images = new Uint8Array(3 * 2 * 2).map((_, i) => i * 20);
  const labels = new Uint8Array([7, 0, 9]);
  return { images: encodeIdx([3, 2, 2], images), labels: encodeIdx([3], labels) };
};

function writeSet(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flows-idx-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe('IDX reader', () => {
  it('round-trips a small generated file, raw and gzipped', async () => {
    const { images } = tiny();
    const parsed = parseIdx(images);
    expect(parsed.dims).toEqual([3, 2, 2]);
    expect(Array.from(parsed.data.subarray(0, 4))).toEqual([0, 20, 40, 60]);
    const dir = writeSet({ 'a.idx': images, 'b.idx.gz': gzipSync(images) });
    expect((await readIdxFile(join(dir, 'a.idx'))).dims).toEqual([3, 2, 2]);
    expect(Array.from((await readIdxFile(join(dir, 'b.idx.gz'))).data)).toEqual(Array.from(parsed.data));
  });

  it('rejects corrupt files with the file name and the problem', async () => {
    const { images } = tiny();
    const badMagic = images.slice();
    badMagic[0] = 0x12;
    expect(() => parseIdx(badMagic, 'x.idx')).toThrow(/x\.idx: bad magic number 0x1200/);
    const badType = images.slice();
    badType[2] = 0x0d;
    expect(() => parseIdx(badType, 'x.idx')).toThrow(/unsupported IDX data type 0xd/);
    expect(() => parseIdx(images.subarray(0, images.length - 1), 'x.idx')).toThrow(/x\.idx: truncated: dimensions \[3, 2, 2\] need 12 data bytes, found 11/);
    expect(() => parseIdx(new Uint8Array([...images, 1]), 'x.idx')).toThrow(/trailing bytes/);
    expect(() => parseIdx(images.subarray(0, 6), 'x.idx')).toThrow(/truncated header/);
    const dir = writeSet({ 'c.gz': new Uint8Array([0x1f, 0x8b, 1, 2, 3]) });
    await expect(readIdxFile(join(dir, 'c.gz'))).rejects.toThrow(/c\.gz: corrupt gzip data/);
    await expect(readIdxFile(join(dir, 'missing'))).rejects.toThrow(DataFileError);
  });

  it('a truncated gzip file is named and called truncated, not "unexpected end of file"', async () => {
    const { images } = tiny();
    const big = encodeIdx(
      [50, 28, 28],
      new Uint8Array(50 * 784).map((_, i) => (i * 7919) % 251),
    );
    const zipped = gzipSync(big);
    const dir = writeSet({
      'cut.gz': zipped.subarray(0, Math.floor(zipped.length / 2)),
      'tail.gz': zipped.subarray(0, zipped.length - 4),
      'head.gz': gzipSync(images).subarray(0, 12),
    });
    for (const name of ['cut.gz', 'tail.gz', 'head.gz']) {
      const error = await readIdxFile(join(dir, name)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataFileError);
      expect((error as Error).message).toMatch(new RegExp(`${name.replace('.', '\\.')}: is truncated`));
      expect((error as Error).message).not.toMatch(/unexpected end of file/);
    }
    expect(Array.from((await parseIdxBytes(gzipSync(images), 'x.gz')).dims)).toEqual([3, 2, 2]);
    // inflateIdx gives the bytes for readers with checks of their own: inflated, or as they were.
    expect(Array.from(await inflateIdx(gzipSync(images), 'x.gz'))).toEqual(Array.from(images));
    expect(await inflateIdx(images, 'x.idx')).toBe(images);
    await expect(inflateIdx(zipped.subarray(0, 100), 'cut.gz')).rejects.toThrow(/cut\.gz: is truncated/);
  });

  it('a crafted header is refused before anything is allocated: huge dimensions, too many of them, more data than declared', async () => {
    const header = (dims: number[]) => {
      const bytes = new Uint8Array(4 + 4 * dims.length);
      bytes[2] = 0x08;
      bytes[3] = dims.length;
      dims.forEach((d, i) => new DataView(bytes.buffer).setUint32(4 + 4 * i, d, false));
      return bytes;
    };
    // 10^9 images of 28×28 claimed by a 16-byte file: 784 GB, refused from the header alone, raw or gzipped.
    const huge = header([1_000_000_000, 28, 28]);
    expect(() => parseIdx(huge, 'huge.idx')).toThrow(
      /huge\.idx: its header declares dimensions \[1000000000, 28, 28\], 784000000000 data bytes, more than the 2147483647 bytes/,
    );
    await expect(parseIdxBytes(gzipSync(huge), 'huge.gz')).rejects.toThrow(/huge\.gz: its header declares dimensions/);
    expect(MAX_IDX_DATA_BYTES).toBe(2147483647);
    expect(() => parseIdx(header([1, 1, 1, 1, 1]), 'five.idx')).toThrow(/implausible number of dimensions 5/);
    expect(() => parseIdx(header([]), 'none.idx')).toThrow(/implausible number of dimensions 0/);
    // A gzip bomb under a small header: inflated only to what the header declares, then refused.
    const bomb = gzipSync(new Uint8Array([...header([4]), ...new Uint8Array(20_000_000)]));
    expect(bomb.length).toBeLessThan(100_000);
    await expect(parseIdxBytes(bomb, 'bomb.gz')).rejects.toThrow(
      /bomb\.gz: has trailing bytes: dimensions \[4\] need 4 data bytes, and the gzip data hold more$/,
    );
  });

  it('an IDX file of 0 images says so by name (not a NaN later)', async () => {
    const empty = writeSet({
      't10k-images-idx3-ubyte.gz': gzipSync(encodeIdx([0, 28, 28], new Uint8Array(0))),
      't10k-labels-idx1-ubyte': encodeIdx([0], new Uint8Array(0)),
    });
    await expect(loadMnist('test', { dataDir: empty })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: holds 0 images/);
    const flat = writeSet({ 't10k-images-idx3-ubyte': encodeIdx([2, 0, 28], new Uint8Array(0)), 't10k-labels-idx1-ubyte': encodeIdx([2], new Uint8Array(2)) });
    await expect(loadMnist('test', { dataDir: flat })).rejects.toThrow(/t10k-images-idx3-ubyte: holds images of 0×28 pixels/);
  });

  it('loadMnist checks the set: missing files, mismatched counts, bad labels', async () => {
    const { images, labels } = tiny();
    const good = writeSet({ 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte.gz': gzipSync(labels) });
    const split = await loadMnist('test', { dataDir: good });
    expect([split.count, split.rows, split.cols]).toEqual([3, 2, 2]);
    expect(Array.from(split.labels)).toEqual([7, 0, 9]);
    await expect(loadMnist('train', { dataDir: good })).rejects.toThrow(/train-images-idx3-ubyte: file not found/);
    const mismatched = writeSet({ 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': encodeIdx([2], new Uint8Array([1, 2])) });
    await expect(loadMnist('test', { dataDir: mismatched })).rejects.toThrow(/has 2 labels but .*t10k-images-idx3-ubyte has 3 images/);
    const badLabel = writeSet({ 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': encodeIdx([3], new Uint8Array([1, 12, 3])) });
    await expect(loadMnist('test', { dataDir: badLabel })).rejects.toThrow(/label 12 at index 1/);
  });
});
