/**
 * A rectangle of the plane: [[x_min, x_max], [y_min, y_max]]. Heat maps take densities on the grid
 * of `gridPoints` of `@flows/datasets` (row 0 at the top), the apps' one grid.
 */
export type Range2D = [[number, number], [number, number]];

/** The largest finite value (1 when there is none above 0): the top of a shared colour scale. */
export function finiteMaximum(values: ArrayLike<number>): number {
  let maximum = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] > maximum) maximum = values[i];
  return maximum || 1;
}
