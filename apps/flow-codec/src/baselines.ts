import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import BZip2 from 'bzip2-wasm';
import lzma from 'lzma-native';
import sharp from 'sharp';
import { encodePng } from './images.js';

/** One general-purpose codec's result on a set of images. */
export interface BaselineResult {
  codec: string;
  /** How it was run: library, level, what was fed to it. */
  settings: string;
  bytes: number;
  encodeSeconds: number;
  decodeSeconds: number;
}

/** Images packed 8 to a byte, most significant bit first (binary images: 0 or 1 per pixel). */
export function packBits(bits: Uint8Array): Uint8Array {
  const packed = new Uint8Array(Math.ceil(bits.length / 8));
  for (let k = 0; k < bits.length; k++) if (bits[k]) packed[k >> 3] |= 0x80 >> (k & 7);
  return packed;
}

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const result = work();
  return [result, (performance.now() - started) / 1000];
}

async function timedAsync<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}

function sameBytes(a: Uint8Array, b: Uint8Array, codec: string): void {
  if (a.length !== b.length || a.some((value, k) => value !== b[k])) throw new Error(`${codec} did not give the input back: the baseline is broken`);
}

/**
 * The general-purpose stream codecs on one byte stream (the whole set as one stream): gzip -9 and
 * brotli quality 11 (Node's zlib), bzip2 -9 (bzip2 1.0.8 as WebAssembly, `bzip2-wasm`), xz -9e
 * (liblzma through `lzma-native`). Each result is decoded again and checked.
 */
export async function streamBaselines(stream: Uint8Array, what: string): Promise<BaselineResult[]> {
  const results: BaselineResult[] = [];
  const [gz, gzEncode] = timed(() => gzipSync(stream, { level: 9 }));
  const [gzBack, gzDecode] = timed(() => gunzipSync(gz));
  sameBytes(stream, gzBack, 'gzip');
  results.push({ codec: 'gzip', settings: `zlib level 9, ${what}`, bytes: gz.length, encodeSeconds: gzEncode, decodeSeconds: gzDecode });

  const bzip2 = new BZip2();
  await bzip2.init();
  const [bz, bzEncode] = timed(() => bzip2.compress(stream, 9, stream.length + 1024));
  const [bzBack, bzDecode] = timed(() => bzip2.decompress(bz, stream.length));
  sameBytes(stream, bzBack, 'bzip2');
  results.push({
    codec: 'bzip2',
    settings: `bzip2 1.0.8 (WebAssembly) block size 9 (-9), ${what}`,
    bytes: bz.length,
    encodeSeconds: bzEncode,
    decodeSeconds: bzDecode,
  });

  const xzCompress = (input: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) =>
      lzma.compress(input, { preset: 9 | lzma.PRESET_EXTREME }, (result, error) => (error ? reject(error) : resolve(result))),
    );
  const xzDecompress = (input: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => lzma.decompress(input, (result, error) => (error ? reject(error) : resolve(result))));
  const [xzBytes, xzEncode] = await timedAsync(() => xzCompress(stream));
  const [xzBack, xzDecode] = await timedAsync(() => xzDecompress(xzBytes));
  sameBytes(stream, xzBack, 'xz');
  results.push({
    codec: 'xz',
    settings: `liblzma (lzma-native) preset 9 extreme (xz -9e), ${what}`,
    bytes: xzBytes.length,
    encodeSeconds: xzEncode,
    decodeSeconds: xzDecode,
  });

  const [br, brEncode] = timed(() =>
    brotliCompressSync(stream, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: stream.length },
    }),
  );
  const [brBack, brDecode] = timed(() => brotliDecompressSync(br));
  sameBytes(stream, brBack, 'brotli');
  results.push({
    codec: 'brotli',
    settings: `zlib brotli quality 11, window 2^24, ${what}`,
    bytes: br.length,
    encodeSeconds: brEncode,
    decodeSeconds: brDecode,
  });
  return results;
}

/** A sprite: the images on a grid of `columns` per row (blank cells at the end), one greyscale image. */
function sprite(pixels: Uint8Array, count: number, height: number, width: number, columns: number): { data: Uint8Array; height: number; width: number } {
  const rows = Math.ceil(count / columns);
  const data = new Uint8Array(rows * height * columns * width);
  for (let k = 0; k < count; k++) {
    const top = Math.floor(k / columns) * height;
    const left = (k % columns) * width;
    for (let r = 0; r < height; r++)
      data.set(pixels.subarray(k * height * width + r * width, k * height * width + (r + 1) * width), (top + r) * columns * width + left);
  }
  return { data, height: rows * height, width: columns * width };
}

async function decodeGrey(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await sharp(bytes).extractChannel(0).raw().toBuffer());
}

/**
 * The image codecs through sharp (libvips): PNG (compression level 9, adaptive filtering; a 2-colour
 * palette, so 1 bit per pixel, when the images are binary) and lossless WebP (effort 6), each per
 * image (the sum of the files) and as one sprite of all images (100 per row). `pixels` are 0…255;
 * binary images are given as 0 and 255. Every file is decoded again and checked.
 */
export async function imageBaselines(pixels: Uint8Array, count: number, height: number, width: number): Promise<BaselineResult[]> {
  const size = height * width;
  const binary = pixels.every((value) => value === 0 || value === 255);
  const pngSettings = `sharp ${sharp.versions.sharp ?? ''} PNG, compression level 9, adaptive filtering${binary ? ', 1-bit palette' : ', 8-bit grey'}`;
  const webp = (data: Uint8Array, h: number, w: number) =>
    sharp(data, { raw: { width: w, height: h, channels: 1 } })
      .webp({ lossless: true, effort: 6 })
      .toBuffer();
  const results: BaselineResult[] = [];
  for (const [codec, encode, settings] of [
    ['PNG', (data: Uint8Array, h: number, w: number) => encodePng(data, h, w), pngSettings],
    ['WebP', webp, `sharp ${sharp.versions.sharp ?? ''} WebP lossless, effort 6`],
  ] as const) {
    let bytes = 0;
    let encodeSeconds = 0;
    let decodeSeconds = 0;
    for (let k = 0; k < count; k++) {
      const image = pixels.subarray(k * size, (k + 1) * size);
      const [file, seconds] = await timedAsync(() => encode(image, height, width));
      const [back, backSeconds] = await timedAsync(() => decodeGrey(file));
      sameBytes(image, back, `${codec} (image ${k})`);
      bytes += file.length;
      encodeSeconds += seconds;
      decodeSeconds += backSeconds;
    }
    results.push({ codec: `${codec}, one file per image`, settings, bytes, encodeSeconds, decodeSeconds });
    const grid = sprite(pixels, count, height, width, 100);
    const [file, spriteEncode] = await timedAsync(() => encode(grid.data, grid.height, grid.width));
    const [back, spriteDecode] = await timedAsync(() => decodeGrey(file));
    sameBytes(grid.data, back, `${codec} (sprite)`);
    results.push({
      codec: `${codec}, one sprite`,
      settings: `${settings}; ${Math.min(count, 100)} images per row`,
      bytes: file.length,
      encodeSeconds: spriteEncode,
      decodeSeconds: spriteDecode,
    });
  }
  return results;
}
