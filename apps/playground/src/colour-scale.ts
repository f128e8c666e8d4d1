/**
 * Densities from log-densities, for a heatmap: `exp(log p)`, with NaN and −∞ shown as 0 (a cell
 * outside the support) and +∞ clamped to the largest finite value, so one bad cell cannot blank
 * the picture.
 */
export function densitiesFromLog(logDensities: ArrayLike<number>): Float32Array {
  const densities = new Float32Array(logDensities.length);
  let largest = 0;
  for (let k = 0; k < densities.length; k++) {
    const value = Math.exp(logDensities[k]);
    densities[k] = Number.isFinite(value) ? value : 0;
    if (densities[k] > largest) largest = densities[k];
  }
  for (let k = 0; k < densities.length; k++) if (logDensities[k] === Infinity) densities[k] = largest;
  return densities;
}

/**
 * The one colour domain `[0, top]` that the model's and the true density share, so that equal
 * colours mean equal densities in the two pictures. `top` is the larger of the two maxima,
 * capped at `cap` times the reference's maximum: a model spike early in training would otherwise
 * squash the reference into one colour. Never 0, so the scale is always valid.
 */
export function sharedDensityDomain(model: ArrayLike<number>, reference: ArrayLike<number> | null, cap = 1.5): [number, number] {
  const largest = (values: ArrayLike<number>) => {
    let top = 0;
    for (let k = 0; k < values.length; k++) if (Number.isFinite(values[k]) && values[k] > top) top = values[k];
    return top;
  };
  const modelTop = largest(model);
  if (!reference) return [0, modelTop > 0 ? modelTop : 1];
  const referenceTop = largest(reference);
  const top = referenceTop > 0 ? Math.min(Math.max(modelTop, referenceTop), cap * referenceTop) : modelTop;
  return [0, top > 0 ? top : 1];
}
