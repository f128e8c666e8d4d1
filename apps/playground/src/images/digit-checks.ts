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
  /** What the row measures, with its encoder named. */
  method: string;
  bytes: number;
  /** Bits per pixel over every image. */
  bitsPerDim: number;
  /** The size against the integer flow's file (1 for the file itself). */
  ratio: number;
  note: string;
}

/** The size table's rows: the raw bytes and each method, in bits per pixel and against the flow's file. */
export function sizeRows(count: number, flowBytes: number, others: readonly { method: string; bytes: number; note: string }[]): SizeRow[] {
  const pixels = count * DIGIT_PIXELS;
  const row = (method: string, bytes: number, note: string): SizeRow => ({ method, bytes, bitsPerDim: (8 * bytes) / pixels, ratio: bytes / flowBytes, note });
  return [
    row('raw bytes', pixels, `${count} × 784 bytes`),
    row('integer flow (.fcod)', flowBytes, 'the whole file: container, description and rANS message'),
    ...others.map((other) => row(other.method, other.bytes, other.note)),
  ];
}
