import type { TopLevelSpec } from 'vega-lite';
import type { Range2D } from './grid.js';
import { rasterDataUrl } from './raster.js';

/** Points (x, y pairs) drawn in one colour under one legend entry. */
export interface PointSeries {
  name: string;
  points: ArrayLike<number>;
  colour: string;
}

export interface PointsFigureOptions {
  title: string;
  range: Range2D;
  /** Drawn in order: later series on top. */
  series: PointSeries[];
  /** A quiet grey density behind the points: values on the `size × size` grid, 0 to `maximum`. */
  background?: { densities: ArrayLike<number>; size: number; maximum: number };
  /** At most this many points of each series are drawn (evenly spaced picks; default 2500). */
  maximumPoints?: number;
  axisTitles?: [string, string];
  panelSize?: number;
}

/**
 * The points inside `range` (the others would be clipped; resvg 2.6 also aborts the process on a
 * clipped mark that lies wholly outside its clip rectangle), then every `step`-th of them so that at
 * most `limit` remain.
 */
function visiblePoints(points: ArrayLike<number>, range: Range2D, limit: number): { x: number; y: number }[] {
  const [[x0, x1], [y0, y1]] = range;
  const inside: { x: number; y: number }[] = [];
  for (let i = 0; 2 * i + 1 < points.length; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inside.push({ x, y });
  }
  const step = Math.max(1, Math.ceil(inside.length / limit));
  return step === 1 ? inside : inside.filter((_, i) => i % step === 0);
}

/**
 * A scatter plot of point series with a legend, axes in data coordinates, and optionally a grey
 * density behind them. Points outside `range` are left out.
 */
export function pointsFigure(options: PointsFigureOptions): TopLevelSpec {
  const [[x0, x1], [y0, y1]] = options.range;
  const [xTitle, yTitle] = options.axisTitles ?? ['x₁', 'x₂'];
  const side = options.panelSize ?? 320;
  const limit = options.maximumPoints ?? 2500;
  const x = { field: 'x', type: 'quantitative', scale: { domain: [x0, x1], nice: false, zero: false }, title: xTitle } as const;
  const y = { field: 'y', type: 'quantitative', scale: { domain: [y0, y1], nice: false, zero: false }, title: yTitle } as const;
  const layers: object[] = [];
  const background = options.background;
  if (background) {
    // White (0) to a light grey (`maximum`), so the points stay readable on top.
    const grey = (k: number): [number, number, number] => {
      const level = Math.round(255 - 60 * Math.min(1, Math.max(0, background.densities[k] / background.maximum || 0)));
      return [level, level, level];
    };
    layers.push({
      data: { values: [{ x: x0, x2: x1, y: y1, y2: y0, url: rasterDataUrl(background.size, background.size, grey) }] },
      mark: { type: 'image', aspect: false },
      encoding: { x, x2: { field: 'x2' }, y, y2: { field: 'y2' }, url: { field: 'url', type: 'nominal' } },
    });
  }
  const values = options.series.flatMap((series) => visiblePoints(series.points, options.range, limit).map((point) => ({ ...point, series: series.name })));
  layers.push({
    data: { values },
    mark: { type: 'circle', size: 6, opacity: 0.55 },
    encoding: {
      x,
      y,
      color: {
        field: 'series',
        type: 'nominal',
        scale: { domain: options.series.map((s) => s.name), range: options.series.map((s) => s.colour) },
        legend: { title: null, orient: 'top-right', fillColor: 'white', symbolOpacity: 1, labelLimit: 0 },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, anchor: 'start' },
    width: side,
    height: side,
    config: { view: { stroke: '#888' } },
    layer: layers,
  } as TopLevelSpec;
}
