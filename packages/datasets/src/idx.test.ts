import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataFileError, encodeIdx, loadMnist, parseIdx, readIdxFile } from './index.js';

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
