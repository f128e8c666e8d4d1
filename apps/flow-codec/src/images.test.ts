import { mkdtempSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UnsafeImageNameError } from './image-names.js';
import { binarize, encodePng, formatIdxImages, ImageInputError, parseIdxImages, readImages, writeImages } from './images.js';

const tiny = { pixels: Uint8Array.from({ length: 2 * 3 * 4 }, (_, k) => (k * 37) % 256), count: 2, height: 3, width: 4, source: { kind: 'idx' as const } };

describe('images', () => {
  it('writes and reads IDX image files, gzipped or not', () => {
    const bytes = formatIdxImages(tiny);
    expect(parseIdxImages(bytes, 'x')).toEqual(tiny);
    expect(parseIdxImages(new Uint8Array(gzipSync(bytes)), 'x')).toEqual(tiny);
  });

  it('names an IDX file that is not one or does not hold what its header says', () => {
    const bytes = formatIdxImages(tiny);
    const labels = bytes.slice();
    labels[3] = 0x01;
    expect(() => parseIdxImages(labels, 'labels.idx')).toThrow(/labels.idx is not an IDX image file \(magic 0x00000801/);
    expect(() => parseIdxImages(bytes.subarray(0, bytes.length - 1), 'short.idx')).toThrow(/holds 39 bytes; its header \(2 images of 3×4\) needs 40/);
    expect(() => parseIdxImages(new Uint8Array(5), 'empty.idx')).toThrow(ImageInputError);
  });

  it('an IDX file given as --input: a cut-off .gz is named as truncated, a gzip bomb is refused without inflating it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'flow-codec-idx-'));
    const zipped = gzipSync(formatIdxImages({ ...tiny, pixels: Uint8Array.from({ length: 2 * 3 * 4 }, (_, k) => (k * 91) % 256) }));
    await writeFile(join(folder, 'cut.gz'), zipped.subarray(0, zipped.length - 6));
    const cut = await readImages(join(folder, 'cut.gz')).catch((error: unknown) => error);
    expect(cut).toBeInstanceOf(ImageInputError);
    expect((cut as Error).message).toMatch(/--input .*cut\.gz: is truncated/);
    expect((cut as Error).message).not.toMatch(/unexpected end of file/);
    // A header of 1 image of 2×2 followed by 20 MB of zeros: inflated only to what the header declares.
    const header = formatIdxImages({ ...tiny, count: 1, height: 2, width: 2, pixels: new Uint8Array(4) });
    await writeFile(join(folder, 'bomb.gz'), gzipSync(new Uint8Array([...header, ...new Uint8Array(20_000_000)])));
    await expect(readImages(join(folder, 'bomb.gz'))).rejects.toThrow(
      /bomb\.gz: has trailing bytes: dimensions \[1, 2, 2\] need 4 data bytes, and the gzip data hold more$/,
    );
    await writeFile(join(folder, 'whole.gz'), zipped);
    expect((await readImages(join(folder, 'whole.gz'))).count).toBe(2);
  });

  it('reads a folder of greyscale PNGs in name order, and refuses colour, mixed sizes and a missing path', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'flow-codec-png-'));
    await writeFile(join(folder, 'b.png'), await encodePng(tiny.pixels.subarray(12), 3, 4));
    await writeFile(join(folder, 'a.png'), await encodePng(tiny.pixels.subarray(0, 12), 3, 4));
    const set = await readImages(folder);
    expect(set.pixels).toEqual(tiny.pixels);
    expect(set.source).toEqual({ kind: 'png', names: ['a.png', 'b.png'] });

    const colour = mkdtempSync(join(tmpdir(), 'flow-codec-colour-'));
    await sharp(Buffer.from([255, 0, 0, 0, 255, 0]), { raw: { width: 2, height: 1, channels: 3 } })
      .png()
      .toFile(join(colour, 'red.png'));
    await expect(readImages(colour)).rejects.toThrow(/red.png has colour at pixel 0,0/);

    const mixed = mkdtempSync(join(tmpdir(), 'flow-codec-mixed-'));
    await writeFile(join(mixed, 'a.png'), await encodePng(tiny.pixels.subarray(0, 12), 3, 4));
    await writeFile(join(mixed, 'b.png'), await encodePng(tiny.pixels.subarray(0, 12), 4, 3));
    await expect(readImages(mixed)).rejects.toThrow(/b.png is 4×3, but a.png is 3×4/);

    await expect(readImages(join(folder, 'nothing-here'))).rejects.toThrow(/no such file or folder/);
    const empty = join(folder, 'empty');
    mkdirSync(empty);
    await expect(readImages(empty)).rejects.toThrow(/has no .png files/);
  });

  it('keeps binary images at one bit per pixel in PNG, exactly', async () => {
    const binary = Uint8Array.from({ length: 28 * 28 }, (_, k) => ((k * 7) % 5 === 0 ? 255 : 0));
    const png = await encodePng(binary, 28, 28);
    const metadata = await sharp(png).metadata();
    expect(metadata.isPalette).toBe(true);
    expect(metadata.bitsPerSample).toBe(1);
    expect(new Uint8Array(await sharp(png).extractChannel(0).raw().toBuffer())).toEqual(binary);
  });

  it('binarizes as the VAEs were trained: v/255 > 0.5', () => {
    expect(Array.from(binarize({ ...tiny, pixels: Uint8Array.from([0, 127, 128, 255]), count: 1, height: 2, width: 2 }))).toEqual([0, 0, 1, 1]);
  });

  it('writes each image only directly inside its folder, checking every name again where it writes (the second line of defence)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'flow-codec-write-'));
    const folder = join(parent, 'out');
    mkdirSync(folder);
    const written: string[] = [];
    const write = async (path: string) => void written.push(path);
    const set = (names: string[]) => ({ ...tiny, source: { kind: 'png' as const, names } });
    await expect(writeImages(folder, set(['a.png', '../escaped.png']), write)).rejects.toThrow(
      /refusing to write the image "..\/escaped.png": it holds a path separator/,
    );
    await expect(writeImages(folder, set(['a.png', join(parent, 'absolute.png')]), write)).rejects.toThrow(UnsafeImageNameError);
    await expect(writeImages(folder, set(['a.png', 'A.PNG']), write)).rejects.toThrow(/one file on a case-insensitive system/);
    await expect(writeImages(folder, set(['a.png']), write)).rejects.toThrow(/1 image names for 2 images/);
    expect(written).toEqual([]);
    expect(await writeImages(folder, set(['a.png', 'b.png']), write)).toBe('2 PNG files');
    expect(written).toEqual([join(folder, 'a.png'), join(folder, 'b.png')]);
  });
});
