/** A plotting window `[[xmin, xmax], [ymin, ymax]]`. */
export type Range2D = [[number, number], [number, number]];

/**
 * The centres of an n × n grid of cells over `range`, as interleaved (x, y) pairs in raster order:
 * row 0 is the top row (largest y), and x grows along a row. That is the order an image, and Plot's
 * raster mark, lays out its pixels.
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
 * A density estimate from points: the fraction of points in each cell over the cell's area, in the
 * raster order of {@link gridPoints}. Integrates to the fraction of points inside the window.
 */
export function histogramDensity(points: ArrayLike<number>, range: Range2D, resolution: number): Float32Array {
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

/** A window around the points: their bounding box widened by `padding` of its size on each side (at least ±0.5). */
export function rangeAround(points: ArrayLike<number>, padding = 0.15): Range2D {
  let [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 2) {
    xMin = Math.min(xMin, points[i]);
    xMax = Math.max(xMax, points[i]);
    yMin = Math.min(yMin, points[i + 1]);
    yMax = Math.max(yMax, points[i + 1]);
  }
  if (!Number.isFinite(xMin))
    return [
      [-4, 4],
      [-4, 4],
    ];
  const padX = Math.max(0.5, padding * (xMax - xMin));
  const padY = Math.max(0.5, padding * (yMax - yMin));
  return [
    [xMin - padX, xMax + padX],
    [yMin - padY, yMax + padY],
  ];
}
