/** A rectangle of the plane: [[x_min, x_max], [y_min, y_max]]. */
export type Range2D = [[number, number], [number, number]];

/** Centres of a `size × size` grid over `range`, row 0 at the top (largest y), as [x, y] pairs. */
export function gridPoints(range: Range2D, size: number): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  const points = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      points[2 * k] = x0 + ((col + 0.5) / size) * (x1 - x0);
      points[2 * k + 1] = y1 - ((row + 0.5) / size) * (y1 - y0);
    }
  }
  return points;
}

/** The largest finite value (1 when there is none above 0): the top of a shared colour scale. */
export function finiteMaximum(values: ArrayLike<number>): number {
  let maximum = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] > maximum) maximum = values[i];
  return maximum || 1;
}
