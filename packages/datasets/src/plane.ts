/**
 * What the two toy apps draw and standardise on the plane, spelled once so that `toy-flow` and the
 * playground show one CSV in the same window, on the same grid, and build the same model from it.
 * Plain arrays only (no TensorFlow.js, no Node): the playground bundles it for the browser.
 */

/** A rectangle of the plane, `[[xMin, xMax], [yMin, yMax]]`: a plot's window. */
export type Range2D = [[number, number], [number, number]];

/**
 * The centres of an n × n grid of cells over `range`, as interleaved (x, y) pairs in raster order:
 * row 0 is the top row (largest y), and x grows along a row. That is the order an image (a PNG, a
 * canvas, Plot's raster mark, a Vega heat map) lays out its pixels.
 */
export function gridPoints(range: Range2D, resolution: number): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  const points = new Float32Array(2 * resolution * resolution);
  const dx = (x1 - x0) / resolution;
  const dy = (y1 - y0) / resolution;
  for (let row = 0; row < resolution; row++) {
    const y = y1 - (row + 0.5) * dy;
    for (let column = 0; column < resolution; column++) {
      const k = 2 * (row * resolution + column);
      points[k] = x0 + (column + 0.5) * dx;
      points[k + 1] = y;
    }
  }
  return points;
}

/**
 * A density estimate from points (interleaved x, y): the fraction of points in each cell of the
 * n × n grid over `range`, divided by the cell's area, in the raster order of {@link gridPoints}.
 * It integrates to the fraction of points inside the window.
 */
export function histogramOnGrid(points: ArrayLike<number>, range: Range2D, resolution: number): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  const counts = new Float32Array(resolution * resolution);
  const n = points.length / 2;
  if (n === 0) return counts;
  for (let i = 0; i < n; i++) {
    const column = Math.floor(((points[2 * i] - x0) / (x1 - x0)) * resolution);
    const row = Math.floor(((y1 - points[2 * i + 1]) / (y1 - y0)) * resolution);
    if (column >= 0 && column < resolution && row >= 0 && row < resolution) counts[row * resolution + column] += 1;
  }
  const cellArea = ((x1 - x0) / resolution) * ((y1 - y0) / resolution);
  for (let k = 0; k < counts.length; k++) counts[k] /= n * cellArea;
  return counts;
}

/** The share of each side's extent added beyond the points by {@link plotRangeAround}. */
export const PLOT_PADDING = 0.1;

/**
 * The window in which points (interleaved x, y) are drawn: their bounding box widened on each
 * side by a tenth ({@link PLOT_PADDING}) of its width (height), or by ±0.1 where all points share
 * one value, so that the window has an area. The padding is relative, so data in any units
 * (millimetres or millions) fill the same share of the picture. No points: [−4, 4]².
 */
export function plotRangeAround(points: ArrayLike<number>): Range2D {
  let [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i + 1 < points.length; i += 2) {
    xMin = Math.min(xMin, points[i]);
    xMax = Math.max(xMax, points[i]);
    yMin = Math.min(yMin, points[i + 1]);
    yMax = Math.max(yMax, points[i + 1]);
  }
  if (!(xMin <= xMax && yMin <= yMax))
    return [
      [-4, 4],
      [-4, 4],
    ];
  const padX = PLOT_PADDING * (xMax - xMin || 1);
  const padY = PLOT_PADDING * (yMax - yMin || 1);
  return [
    [xMin - padX, xMax + padX],
    [yMin - padY, yMax + padY],
  ];
}

/**
 * Mean and standard deviation of each column of row-major values (in float64; a constant column
 * gets scale 1): the standardisation a toy model of such data ends in (`toyFlow`'s `standardization`).
 */
export function columnStatistics(values: ArrayLike<number>, columns: number): { mean: number[]; scale: number[] } {
  const rows = values.length / columns;
  const mean = new Array<number>(columns).fill(0);
  const squares = new Array<number>(columns).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) mean[j] += values[i * columns + j] / rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) squares[j] += (values[i * columns + j] - mean[j]) ** 2 / rows;
  return { mean, scale: squares.map((s) => (s > 0 ? Math.sqrt(s) : 1)) };
}
