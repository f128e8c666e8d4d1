import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataFileError, encodeIdx, inflateIdx, loadMnist } from '@flows/datasets';
import { allInOrder } from '@flows/core';
import sharp from 'sharp';
import { firstCollision, safeImagePath, UnsafeImageNameError } from './image-names.js';

/** Where a set of images came from, so that `decompress` can write them back in the same form. */
export type ImageSource = { kind: 'idx' } | { kind: 'mnist'; split: 'test' | 'train' } | { kind: 'png'; names: string[] };

/** Greyscale 8-bit images, row-major, one after another. */
export interface ImageSet {
  pixels: Uint8Array;
  count: number;
  height: number;
  width: number;
  source: ImageSource;
}

/** Input that cannot be read as images: named, with what was wrong. */
export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

const IDX_IMAGES_MAGIC = 0x00000803;

/**
 * Parses an IDX image file (LeCun's MNIST format: magic 0x00000803, count, rows, columns, then
 * unsigned bytes), gzipped or not. Unlike `@flows/datasets`' general `parseIdx`, it insists on three
 * dimensions and names the images' count and size when the length does not fit.
 */
export function parseIdxImages(bytes: Uint8Array, where: string): ImageSet {
  const data = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (data.length < 16) throw new ImageInputError(`${where} is too short for an IDX image file (${data.length} bytes)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IDX_IMAGES_MAGIC)
    throw new ImageInputError(
      `${where} is not an IDX image file (magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803: unsigned bytes, 3 dimensions)`,
    );
  const count = view.getUint32(4);
  const height = view.getUint32(8);
  const width = view.getUint32(12);
  const expected = 16 + count * height * width;
  if (data.length !== expected)
    throw new ImageInputError(`${where} holds ${data.length} bytes; its header (${count} images of ${height}×${width}) needs ${expected}`);
  return { pixels: data.slice(16), count, height, width, source: { kind: 'idx' } };
}

/** The IDX image file of a set (uncompressed; `@flows/datasets`' encoder). */
export function formatIdxImages(set: ImageSet): Uint8Array {
  return encodeIdx([set.count, set.height, set.width], set.pixels);
}

/** One greyscale PNG's pixels; a colour or translucent image is refused, since making it grey would lose data. */
async function readGreyPng(path: string): Promise<{ pixels: Uint8Array; height: number; width: number }> {
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    const { depth } = await sharp(path).metadata();
    if (depth !== 'uchar') throw new ImageInputError(`${path} has ${depth} samples; only 8-bit images are coded`);
    decoded = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (error instanceof ImageInputError) throw error;
    throw new ImageInputError(`${path} cannot be read as an image (${(error as Error).message})`);
  }
  const { data, info } = decoded;
  const { channels, width, height } = info;
  const pixels = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const grey = data[p * channels];
    const colour = channels >= 3 && (data[p * channels + 1] !== grey || data[p * channels + 2] !== grey);
    const translucent = (channels === 2 || channels === 4) && data[p * channels + channels - 1] !== 255;
    if (colour || translucent)
      throw new ImageInputError(
        `${path} has ${colour ? 'colour' : 'transparency'} at pixel ${p % width},${Math.floor(p / width)}: only greyscale, opaque images are coded`,
      );
    pixels[p] = grey;
  }
  return { pixels, height, width };
}

/**
 * Reads the images to code: `mnist-test` or `mnist-train` (the embedded MNIST), an IDX image file
 * (gzipped or not), or a folder of greyscale PNGs of one size (in file-name order).
 */
export async function readImages(input: string, options: { limit?: number } = {}): Promise<ImageSet> {
  let set: ImageSet;
  if (input === 'mnist-test' || input === 'mnist-train') {
    const split = input === 'mnist-test' ? 'test' : 'train';
    const mnist = await loadMnist(split);
    set = { pixels: mnist.images, count: mnist.count, height: 28, width: 28, source: { kind: 'mnist', split } };
  } else {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(input);
    } catch {
      throw new ImageInputError(`--input ${input}: no such file or folder (give an IDX file, a folder of PNGs, mnist-test or mnist-train)`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(input)).filter((name) => extname(name).toLowerCase() === '.png').sort();
      if (names.length === 0) throw new ImageInputError(`--input ${input}: the folder has no .png files`);
      const limited = options.limit ? names.slice(0, options.limit) : names;
      const images = await allInOrder(limited.map((name) => readGreyPng(join(input, name))));
      const { height, width } = images[0];
      const odd = images.findIndex((image) => image.height !== height || image.width !== width);
      if (odd >= 0)
        throw new ImageInputError(
          `--input ${input}: ${limited[odd]} is ${images[odd].height}×${images[odd].width}, but ${limited[0]} is ${height}×${width}; every image must have one size`,
        );
      const pixels = new Uint8Array(images.length * height * width);
      images.forEach((image, k) => pixels.set(image.pixels, k * height * width));
      return { pixels, count: images.length, height, width, source: { kind: 'png', names: limited.map((name) => basename(name)) } };
    }
    // Inflated by @flows/datasets' reader: the header checked first and no more inflated than it
    // declares (a gzip bomb allocates nothing), a cut-off file called truncated by name.
    const where = `--input ${input}`;
    let bytes: Uint8Array;
    try {
      bytes = await inflateIdx(new Uint8Array(await readFile(input)), where);
    } catch (error) {
      if (error instanceof DataFileError) throw new ImageInputError(error.message);
      throw error;
    }
    set = parseIdxImages(bytes, where);
  }
  if (options.limit && options.limit < set.count) {
    const size = set.height * set.width;
    set = { ...set, count: options.limit, pixels: set.pixels.slice(0, options.limit * size) };
  }
  return set;
}

/** A set's images thresholded as the VAEs were trained: 1 where v/255 > 0.5 (v ≥ 128), else 0. */
export function binarize(set: ImageSet): Uint8Array {
  return set.pixels.map((value) => (value >= 128 ? 1 : 0));
}

/** A greyscale PNG of one image (compression level 9, adaptive filtering; 1-bit when the image has only 0 and 255). */
export function encodePng(pixels: Uint8Array, height: number, width: number): Promise<Buffer> {
  const binary = pixels.every((value) => value === 0 || value === 255);
  return sharp(pixels, { raw: { width, height, channels: 1 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true, ...(binary ? { palette: true, colours: 2 } : {}) })
    .toBuffer();
}

/**
 * Writes a set back in the form it came in: one IDX file, or one PNG per image under its own name.
 * Every path is checked to lie directly inside `directory` ({@link safeImagePath}) and no two names
 * may be one file on a case-insensitive system, whatever was checked before: the names come from a
 * file someone else may have made. `write` should refuse an existing file (a `wx` write).
 */
export async function writeImages(directory: string, set: ImageSet, write: (path: string, data: Uint8Array, name: string) => Promise<void>): Promise<string> {
  const size = set.height * set.width;
  if (set.source.kind === 'png') {
    const { names } = set.source;
    if (names.length !== set.count) throw new UnsafeImageNameError(`${names.length} image names for ${set.count} images`);
    const collision = firstCollision(names);
    if (collision)
      throw new UnsafeImageNameError(`refusing to write images ${collision[0]} and ${collision[1]}: their names are one file on a case-insensitive system`);
    const paths = names.map((name) => safeImagePath(directory, name));
    for (let k = 0; k < set.count; k++) await write(paths[k], await encodePng(set.pixels.subarray(k * size, (k + 1) * size), set.height, set.width), names[k]);
    return `${set.count} PNG files`;
  }
  const name = set.source.kind === 'mnist' ? `mnist-${set.source.split}-images-idx3-ubyte` : 'images-idx3-ubyte';
  await write(join(directory, name), formatIdxImages(set), name);
  return name;
}
