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

/**
 * A colour lookup table: `steps` colours spread evenly over `[low, high]`, as r, g, b bytes, from
 * `colourOf` (a CSS colour of a value). Painting a heat map is then one table look-up per cell.
 */
export function colourTable(domain: [number, number], colourOf: (value: number) => string, steps = 256): Uint8ClampedArray {
  const table = new Uint8ClampedArray(3 * steps);
  for (let i = 0; i < steps; i++) {
    const [r, g, b] = parseColour(colourOf(domain[0] + ((domain[1] - domain[0]) * i) / (steps - 1)));
    table.set([r, g, b], 3 * i);
  }
  return table;
}

/** `#rrggbb` or `rgb(r, g, b)` as bytes. */
export function parseColour(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css.trim());
  if (hex) return [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16), Number.parseInt(hex[3], 16)];
  const rgb = /^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/i.exec(css.trim());
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`unreadable colour '${css}'`);
}

/**
 * RGBA pixels of a heat map: each value through the table, clamped to the domain (values below it
 * get the first colour, above it the last), NaN as transparent.
 */
export function heatmapPixels(values: ArrayLike<number>, domain: [number, number], table: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  const steps = table.length / 3;
  const pixels = new Uint8ClampedArray(4 * values.length);
  const span = domain[1] - domain[0] || 1;
  for (let k = 0; k < values.length; k++) {
    const value = values[k];
    if (Number.isNaN(value)) continue;
    const index = Math.min(steps - 1, Math.max(0, Math.round(((value - domain[0]) / span) * (steps - 1))));
    pixels[4 * k] = table[3 * index];
    pixels[4 * k + 1] = table[3 * index + 1];
    pixels[4 * k + 2] = table[3 * index + 2];
    pixels[4 * k + 3] = 255;
  }
  return pixels;
}
