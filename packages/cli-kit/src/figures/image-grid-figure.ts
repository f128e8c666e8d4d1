import type { TopLevelSpec } from 'vega-lite';
import { imageMosaic, rasterDataUrl } from './raster.js';

export interface ImageGridFigureOptions {
  /** Grey images, values in [0, 1], `rows × columns` each, row-major. */
  images: ArrayLike<number>[];
  rows: number;
  columns: number;
  /** Images per row of the grid. */
  gridColumns: number;
  title: string;
  /** A line under the title (what the images are: model, temperature, seed). */
  caption?: string;
  /** Pixels per image pixel (default 2). */
  scale?: number;
}

/**
 * A grid of grey images (such as MNIST digits) with a title and a caption. Each image pixel becomes
 * a `scale × scale` block before encoding, so no viewer blurs the digits.
 */
export function imageGridFigure(options: ImageGridFigureOptions): TopLevelSpec {
  const scale = options.scale ?? 2;
  const mosaic = imageMosaic(options.images, options.rows, options.columns, options.gridColumns);
  const width = mosaic.width * scale;
  const height = mosaic.height * scale;
  const url = rasterDataUrl(width, height, (k) => {
    const value = mosaic.pixels[Math.floor(Math.floor(k / width) / scale) * mosaic.width + Math.floor((k % width) / scale)];
    return [value, value, value];
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, subtitle: options.caption, anchor: 'start' },
    width,
    height,
    config: { view: { stroke: null } },
    data: { values: [{ x: 0, x2: width, y: 0, y2: height, url }] },
    mark: { type: 'image', aspect: false },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [0, width], nice: false }, axis: null },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', scale: { domain: [height, 0], nice: false }, axis: null },
      y2: { field: 'y2' },
      url: { field: 'url', type: 'nominal' },
    },
  } as TopLevelSpec;
}
