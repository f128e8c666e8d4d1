import { encode } from 'fast-png';
import * as vega from 'vega';

/** An RGB colour, channels 0-255. */
export type Rgb = [number, number, number];

/** Parses the `rgb(r, g, b)` or `#rrggbb` strings that Vega's colour interpolators return. */
function parseColour(text: string): Rgb {
  if (text.startsWith('#')) return [1, 3, 5].map((i) => parseInt(text.slice(i, i + 2), 16)) as Rgb;
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(text);
  if (!match) throw new Error(`unexpected colour '${text}'`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/**
 * A colour map t ∈ [0, 1] → RGB from one of Vega's schemes (default viridis, perceptually uniform),
 * tabulated at 256 levels. Rasters coloured with it match the colour bar that Vega draws for the
 * same scheme. Values outside [0, 1] (and NaN) are clamped.
 */
export function colourMap(scheme = 'viridis'): (t: number) => Rgb {
  const interpolate = vega.scheme(scheme) as ((t: number) => string) | undefined;
  if (typeof interpolate !== 'function') throw new Error(`unknown colour scheme '${scheme}'`);
  const table = Array.from({ length: 256 }, (_, i) => parseColour(interpolate(i / 255)));
  return (t) => table[Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)))];
}

/** An RGB raster encoded as a PNG data URL (for Vega's image mark). */
export function rasterDataUrl(width: number, height: number, colourOf: (index: number) => Rgb): string {
  const data = new Uint8Array(width * height * 3);
  for (let k = 0; k < width * height; k++) data.set(colourOf(k), 3 * k);
  const png = encode({ width, height, data, channels: 3, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/**
 * Grey images (values in [0, 1], `rows × columns` each, row-major) laid out `gridColumns` to a row
 * with a one-pixel grey border, as one grey raster: `{ width, height, pixels }`.
 */
export function imageMosaic(
  images: ArrayLike<number>[],
  rows: number,
  columns: number,
  gridColumns: number,
): { width: number; height: number; pixels: Uint8Array } {
  const gridRows = Math.ceil(images.length / gridColumns);
  const width = gridColumns * (columns + 1) + 1;
  const height = gridRows * (rows + 1) + 1;
  const pixels = new Uint8Array(width * height).fill(128);
  images.forEach((image, n) => {
    const left = (n % gridColumns) * (columns + 1) + 1;
    const top = Math.floor(n / gridColumns) * (rows + 1) + 1;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) pixels[(top + r) * width + left + c] = Math.round(255 * Math.min(1, Math.max(0, image[r * columns + c] || 0)));
    }
  });
  return { width, height, pixels };
}
