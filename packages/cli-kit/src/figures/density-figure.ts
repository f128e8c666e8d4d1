import type { TopLevelSpec } from 'vega-lite';
import { finiteMaximum, type Range2D } from './grid.js';
import { colourMap, rasterDataUrl } from './raster.js';

/** One heat map: densities on the `size × size` grid of `gridPoints` of `@flows/datasets` (row 0 at the top). */
export interface DensityPanel {
  title: string;
  densities: ArrayLike<number>;
}

export interface DensityFigureOptions {
  title: string;
  panels: DensityPanel[];
  range: Range2D;
  /** Grid cells along each side. */
  size: number;
  /** Top of the shared colour scale (default: the largest value of the last panel, the reference). */
  maximum?: number;
  colourTitle?: string;
  axisTitles?: [string, string];
  /** Width and height of each panel in SVG units (default 260). */
  panelSize?: number;
}

/**
 * Density heat maps side by side on one colour scale (viridis, 0 to `maximum`), with axes in data
 * coordinates, a title over each panel and one colour bar. The cells are drawn as one raster per
 * panel (a PNG inside the SVG) rather than one rectangle per cell, which keeps the SVG small.
 */
export function densityFigure(options: DensityFigureOptions): TopLevelSpec {
  const { panels, range, size } = options;
  const maximum = options.maximum ?? finiteMaximum(panels[panels.length - 1].densities);
  const colour = colourMap('viridis');
  const [xTitle, yTitle] = options.axisTitles ?? ['x₁', 'x₂'];
  const side = options.panelSize ?? 260;
  const [[x0, x1], [y0, y1]] = range;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, anchor: 'start' },
    config: { view: { stroke: '#888' } },
    resolve: { scale: { color: 'shared' } },
    hconcat: panels.map((panel) => ({
      title: panel.title,
      width: side,
      height: side,
      layer: [
        {
          data: { values: [{ x: x0, x2: x1, y: y1, y2: y0, url: rasterDataUrl(size, size, (k) => colour(panel.densities[k] / maximum)) }] },
          mark: { type: 'image', aspect: false },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { domain: [x0, x1], nice: false, zero: false }, title: xTitle },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: { domain: [y0, y1], nice: false, zero: false }, title: yTitle },
            y2: { field: 'y2' },
            url: { field: 'url', type: 'nominal' },
          },
        },
        {
          // Invisible marks that carry the colour scale, so that Vega draws the colour bar.
          data: { values: [{ level: 0 }, { level: maximum }] },
          mark: { type: 'point', opacity: 0 },
          encoding: {
            color: { field: 'level', type: 'quantitative', scale: { scheme: 'viridis', domain: [0, maximum] }, title: options.colourTitle ?? 'density' },
          },
        },
      ],
    })),
  } as TopLevelSpec;
}
