// Summaries of repeated measurements: a figure is its median with the spread of the rounds.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median, minimum and maximum of the finite values (null when there are none). */
export function summary(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return null;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

const rounded = (v, digits) => (digits === 0 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));

/** `1,234 (1,200-1,300)`: the median and the range of the rounds. */
export function formatSummary(s, digits = 0) {
  if (!s) return '—';
  return s.n > 1 ? `${rounded(s.median, digits)} (${rounded(s.min, digits)}-${rounded(s.max, digits)})` : rounded(s.median, digits);
}
