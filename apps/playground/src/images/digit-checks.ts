/** The image page's checks and sums that need no browser: a dropped image, the size table. */

export const DIGIT_SIDE = 28;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;

/**
 * The grey bytes of a dropped image, from the RGBA pixels the browser decoded; an image that is not
 * 28 × 28, or has colour or transparency, is refused naming the file and what to do (making it grey
 * or scaling it would change the data, and a lossless codec must give back what it was given).
 */
export function greyDigit(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, name: string): Uint8Array {
  if (width !== DIGIT_SIDE || height !== DIGIT_SIDE)
    throw new RangeError(`${name} is ${width}×${height}; the models code 28×28 greyscale digits: crop or scale it to 28×28 first`);
  const grey = new Uint8Array(DIGIT_PIXELS);
  for (let i = 0; i < DIGIT_PIXELS; i++) {
    const [r, g, b, a] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]];
    if (a !== 255) throw new RangeError(`${name} has transparent pixels (alpha ${a} at pixel ${i}); the models code opaque greyscale digits`);
    if (r !== g || g !== b)
      throw new RangeError(`${name} has colour (pixel ${i} is rgb(${r}, ${g}, ${b})); the models code greyscale digits: save it as greyscale first`);
    grey[i] = r;
  }
  return grey;
}

export interface SizeRow {
  /** Which images and model the rows code: the 8-bit digits (with the integer flow, or with the density flow), or the digits binarized for the VAE. */
  group: '8-bit' | '8-bit, density flow' | 'binarized';
  /** What the row measures, with its encoder named. */
  method: string;
  bytes: number;
  /** Bits per pixel over every image. */
  bitsPerDim: number;
  /** The size against the model's file of its group (the integer flow's, the density flow's or the VAE's; 1 for that file). */
  ratio: number;
  note: string;
}

export interface Sized {
  method: string;
  bytes: number;
  note: string;
}

/**
 * One group of the size table: the images as plain bytes (8 bits a pixel, or packed bits for
 * binarized ones), the model's file and each other method, in bits per pixel and against the model's file.
 */
export function sizeRows(group: SizeRow['group'], count: number, coded: Sized, others: readonly Sized[]): SizeRow[] {
  const pixels = count * DIGIT_PIXELS;
  const row = ({ method, bytes, note }: Sized): SizeRow => ({ group, method, bytes, bitsPerDim: (8 * bytes) / pixels, ratio: bytes / coded.bytes, note });
  const raw =
    group !== 'binarized'
      ? { method: 'raw bytes', bytes: pixels, note: `${count} × 784 bytes` }
      : { method: 'binarized: raw bits', bytes: Math.ceil(pixels / 8), note: `${count} × 784 bits, packed` };
  return [row(raw), row(coded), ...others.map(row)];
}
