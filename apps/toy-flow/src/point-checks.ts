import { CsvError, type NumericTable } from '@flows/cli-kit';

/**
 * How far (in robust standard deviations of its side of the column) a value may lie from its
 * column's median before its row is called outlying: √rows, and at least 50. Beyond √rows the
 * row's squared distance alone exceeds rows × the column's robust variance: that one row would
 * outweigh all the others in the column's variance, so it sets the scale of the standardisation
 * (or, without it, the size of the layers' inputs). A fixed limit cannot serve: the farthest of
 * n draws from a heavy-tailed distribution grows with n (measured, in these units, at 3 000 and
 * 1 000 000 rows: lognormal σ = 1 25 and 116, Student-t with 3 degrees of freedom 15 and 135,
 * the built-in toys far less), while a mistyped or sentinel value (1e30, -9999 among values near
 * 10) lies thousands out. Data whose variance is dominated by single rows, such as Student-t
 * with 2 degrees of freedom (infinite variance), can trip it, as they should: the message offers
 * --keep-outliers.
 */
export function outlierLimit(rows: number): number {
  return Math.max(50, Math.sqrt(rows));
}

/** At most this many outlying rows are listed in a message; the rest are counted. */
const LISTED = 10;

/**
 * Below this fraction of its own variance left after a least-squares fit on the columns before
 * it, a column counts as a linear function of them (float32 rounding leaves about 1e-14).
 */
const DEPENDENCE_TOLERANCE = 1e-10;

/** The covariance check reads at most this many products (rows × columns²); larger tables use evenly spaced rows. */
const COVARIANCE_WORK = 2e8;

/** Above this many magnitude values overflow float32 arithmetic in the layers (x² > 3.4e38), as fit's own check has it. */
export const LARGEST_RAW_VALUE = 1e15;

/** Quantile `p` of sorted values, interpolated. */
function quantile(sorted: Float64Array, p: number): number {
  const at = p * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** The standard normal's quantiles at 0.75, 0.9 and 0.99: a side's spread in standard deviations. */
const SIDE_QUANTILES: readonly [number, number][] = [
  [0.75, 0.6745],
  [0.9, 1.2816],
  [0.99, 2.3263],
];

/** One value far outside the rest of its column. */
export interface OutlyingValue {
  /** 0-based row of the table. */
  row: number;
  /** 0-based column. */
  column: number;
  value: number;
  median: number;
  /** Distance from the median in robust standard deviations of its side. */
  deviations: number;
}

/**
 * The values of each column that lie more than {@link outlierLimit} robust standard deviations
 * from the column's median, one entry per row (its worst column). Each side of the median has its
 * own scale, read from the quartile (or, where a quarter of the column shares the median's value,
 * the 90th or 99th percentile), so skewed data are judged by their long side; a side with no
 * spread at all uses the column's mean absolute deviation from the median. A column that does not
 * vary is left to {@link dependentColumn}. Medians, unlike the mean and standard deviation that
 * standardisation uses, are not moved by the rows they judge.
 */
export function outlyingValues(table: Pick<NumericTable, 'columns' | 'rows' | 'values'>, limit = outlierLimit(table.rows)): OutlyingValue[] {
  const { columns, rows, values } = table;
  const worst = new Map<number, OutlyingValue>();
  const column = new Float64Array(rows);
  for (let c = 0; c < columns; c++) {
    for (let r = 0; r < rows; r++) column[r] = values[r * columns + c];
    const sorted = Float64Array.from(column).sort();
    const median = quantile(sorted, 0.5);
    let meanDeviation = 0;
    for (let r = 0; r < rows; r++) meanDeviation += Math.abs(column[r] - median) / rows;
    // 1.2533 = √(π/2): the mean absolute deviation of a normal distribution in standard deviations.
    const fallback = 1.2533 * meanDeviation;
    if (!(fallback > 0)) continue;
    const sideScale = (upper: boolean) => {
      for (const [p, z] of SIDE_QUANTILES) {
        const spread = upper ? quantile(sorted, p) - median : median - quantile(sorted, 1 - p);
        if (spread > 0) return spread / z;
      }
      return fallback;
    };
    const above = sideScale(true);
    const below = sideScale(false);
    for (let r = 0; r < rows; r++) {
      const distance = column[r] - median;
      const deviations = distance >= 0 ? distance / above : -distance / below;
      if (deviations > limit && deviations > (worst.get(r)?.deviations ?? 0)) worst.set(r, { row: r, column: c, value: column[r], median, deviations });
    }
  }
  return [...worst.values()].sort((a, b) => a.row - b.row);
}

/** A column that does not vary, or varies only as a linear function of the columns before it. */
export interface DependentColumn {
  /** 0-based column. */
  column: number;
  /** The value of a constant column; undefined for a linear function of earlier columns. */
  constant?: number;
}

/**
 * The first column that is constant or a linear function of the columns before it (within
 * float32's precision), or null. Such points lie on a line, a plane or a single point, where a
 * density is unbounded: a flow's NLL falls without limit instead of converging. This covers a
 * constant column, all rows equal, and fewer distinct rows than dimensions + 1. Found from the
 * Cholesky factor of the correlation matrix, whose j-th squared diagonal entry is the fraction of
 * column j's variance that the columns before it leave unexplained.
 */
export function dependentColumn(table: Pick<NumericTable, 'columns' | 'rows' | 'values'>): DependentColumn | null {
  const { columns, rows, values } = table;
  const mean = new Float64Array(columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) mean[c] += values[r * columns + c] / rows;
  for (let c = 0; c < columns; c++) {
    let varies = false;
    for (let r = 0; r < rows && !varies; r++) varies = values[r * columns + c] !== values[c];
    if (!varies) return { column: c, constant: values[c] };
  }
  if (columns < 2) return null;
  // A subset of rows can only be more degenerate than the whole: enough rows (ten per column)
  // keep the check meaningful; beyond that the work is bounded by reading evenly spaced rows.
  const used = Math.min(rows, Math.floor(COVARIANCE_WORK / (columns * columns)));
  if (used < 10 * columns) return null;
  const covariance = new Float64Array(columns * columns);
  const centred = new Float64Array(columns);
  for (let k = 0; k < used; k++) {
    const r = Math.floor((k * rows) / used);
    for (let c = 0; c < columns; c++) centred[c] = values[r * columns + c] - mean[c];
    for (let i = 0; i < columns; i++) for (let j = 0; j <= i; j++) covariance[i * columns + j] += centred[i] * centred[j];
  }
  const sd = Array.from({ length: columns }, (_, c) => Math.sqrt(covariance[c * columns + c]));
  // Every column varies (checked above on all rows): a column still in the rows read is their artefact.
  if (sd.some((s) => !(s > 0))) return null;
  // Cholesky of the correlation matrix, skipping no column: the first dependent one is reported.
  const factor = new Float64Array(columns * columns);
  for (let j = 0; j < columns; j++) {
    for (let i = j; i < columns; i++) {
      let sum = covariance[i * columns + j] / (sd[i] * sd[j]);
      for (let k = 0; k < j; k++) sum -= factor[i * columns + k] * factor[j * columns + k];
      if (i === j) {
        if (sum < DEPENDENCE_TOLERANCE) return { column: j };
        factor[j * columns + j] = Math.sqrt(sum);
      } else {
        factor[i * columns + j] = sum / factor[j * columns + j];
      }
    }
  }
  return null;
}

const columnName = (table: Pick<NumericTable, 'header'>, c: number) => `column ${c + 1}${table.header ? ` (${table.header[c]})` : ''}`;
const show = (value: number) => String(Number(value.toPrecision(6)));

/**
 * Refuses points that would train a useless model with exit 0: rows far outside the rest (one
 * such row sets the standardisation's scale, or overflows the layers without it; unless
 * `keepOutliers`), values too large for the layers without standardisation, and degenerate data
 * (see {@link dependentColumn}). Errors name the file, the rows as file lines, the values and
 * the fix in toy-flow's flags.
 */
export function checkTrainingPoints(table: NumericTable, file: string, options: { keepOutliers: boolean; standardize: boolean }): void {
  const line = (row: number) => table.lines[row];
  if (!options.keepOutliers) {
    const outliers = outlyingValues(table);
    if (outliers.length > 0) {
      const listed = outliers
        .slice(0, LISTED)
        .map((o) => `line ${line(o.row)}, ${columnName(table, o.column)}: ${show(o.value)} (the column's median is ${show(o.median)})`);
      const more = outliers.length > LISTED ? `; and ${outliers.length - LISTED} more rows` : '';
      throw new CsvError(
        file,
        `${outliers.length === 1 ? '1 row lies' : `${outliers.length} rows lie`} far outside the rest of the data, more than ${Math.round(outlierLimit(table.rows))} robust standard deviations from the column's median: ${listed.join('; ')}${more}. ` +
          `${outliers.length === 1 ? 'That row' : 'Each such row'} alone outweighs all the others in its column's variance, so it sets the scale of the standardisation (or overflows the layers without it) and the model learns little else. ` +
          'Remove or repair these rows; if the values are real, pass --keep-outliers (a positive, heavy-tailed column may fit better as its logarithm)',
      );
    }
  }
  if (!options.standardize) {
    for (let i = 0; i < table.values.length; i++) {
      if (Math.abs(table.values[i]) > LARGEST_RAW_VALUE) {
        const row = Math.floor(i / table.columns);
        throw new CsvError(
          file,
          `line ${line(row)}, ${columnName(table, i % table.columns)}: ${show(table.values[i])} is beyond ±${LARGEST_RAW_VALUE.toExponential(0)}, where float32 arithmetic in the layers overflows without standardisation: drop --no-standardize, or change the column's units`,
        );
      }
    }
  }
  const dependent = dependentColumn(table);
  if (dependent) {
    const what =
      dependent.constant !== undefined
        ? `is constant (every row holds ${show(dependent.constant)})`
        : dependent.column === 1
          ? 'is a linear function of column 1 (the points lie on a line)'
          : 'is a linear function of the columns before it (the points lie on a hyperplane)';
    throw new CsvError(
      file,
      `${columnName(table, dependent.column)} ${what}: a density on such points is unbounded, so the NLL would fall without limit instead of converging. ` +
        'Drop the column, or give points that vary in every direction (with fewer distinct rows than columns + 1 they cannot)',
    );
  }
}
