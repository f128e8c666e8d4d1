import { parse } from 'csv-parse/sync';

/** Numeric CSV: rows of numbers with the same number of columns; an optional non-numeric header. */
export interface NumericTable {
  columns: number;
  rows: number;
  values: Float32Array;
  header: string[] | null;
  /** The file line (1-based) that each row ends on, so later checks of the values can name rows as an editor shows them. */
  lines: Int32Array;
}

export class CsvError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'CsvError';
  }
}

/**
 * A number as the reader accepts it: decimal only, an optional sign, digits with an optional
 * fraction (`5.` and `.5` as well: both are unambiguous and common in exported files), an optional
 * exponent. JavaScript's Number() also reads `0x10`, `0b101`, `0o7` and `Infinity`, which no
 * numeric CSV means; they are refused by name.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** How files spell values that are not finite numbers (C's printf, NumPy, R's missing `NA`): numbers for header detection, refused as data. */
const NOT_FINITE = /^[+-]?(?:nan|inf|infinity|na)$/i;

/** Whether a cell is meant as a number of some kind (so that a row of them is data, not a header of names). */
function looksNumeric(cell: string): boolean {
  return DECIMAL.test(cell) || NOT_FINITE.test(cell) || (cell !== '' && !Number.isNaN(Number(cell)));
}

/** Why a cell is not a usable number, or null when it is one (checked in float32, the table's type). */
function cellProblem(cell: string): string | null {
  if (DECIMAL.test(cell)) {
    if (!Number.isFinite(Math.fround(Number(cell)))) return `'${cell}' is beyond float32's range (±3.4e38): change the column's units`;
    return null;
  }
  if (cell === '') return `'' is not a finite number (the cell is empty)`;
  if (NOT_FINITE.test(cell)) return `'${cell}' is not a finite number (NaN, infinities and missing values cannot be modelled): remove or repair the row`;
  const number = Number(cell);
  if (Number.isFinite(number)) return `'${cell}' is not a decimal number (hexadecimal, binary and octal are not read): write it as ${number}`;
  return `'${cell}' is not a finite number`;
}

/**
 * Parses numeric CSV text; errors name the file, the line and the problem. The text is split into
 * records by csv-parse (quotes, CRLF, `#` comments and blank lines as RFC 4180 and common practice
 * have them); this function decides what a numeric table is: an optional header of names (a first
 * row none of whose cells is a number, `nan` and `inf` included, so that a first row of `nan,nan`
 * is refused as data rather than dropped as a header), then rows of finite decimal numbers that
 * fit float32, all with the same number of columns.
 */
export function parseNumericCsv(text: string, file = '<input>'): NumericTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info: true` each record comes with where it ends in the file; csv-parse's types do not follow the option.
    records = parse(text, { comment: '#', skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (error) {
    throw new CsvError(file, (error as Error).message);
  }
  let header: string[] | null = null;
  const values: number[] = [];
  const lines: number[] = [];
  let columns = 0;
  let rows = 0;
  for (const { record: cells, info } of records) {
    const line = info.lines;
    if (rows === 0 && header === null && cells.every((c) => c !== '' && !looksNumeric(c))) {
      header = cells;
      columns = cells.length;
      continue;
    }
    if (columns === 0) columns = cells.length;
    if (cells.length !== columns) throw new CsvError(file, `line ${line} has ${cells.length} columns, expected ${columns}`);
    for (let c = 0; c < columns; c++) {
      const problem = cellProblem(cells[c]);
      if (problem) throw new CsvError(file, `line ${line}, column ${c + 1}: ${problem}`);
    }
    for (const cell of cells) values.push(Number(cell)); // no spread: a very wide row would overflow the call stack
    lines.push(line);
    rows += 1;
  }
  if (rows === 0) throw new CsvError(file, 'contains no data rows');
  return { columns, rows, values: Float32Array.from(values), header, lines: Int32Array.from(lines) };
}

/** Formats rows as CSV with enough digits to round-trip float32. */
export function formatCsv(values: ArrayLike<number>, columns: number, header?: string[]): string {
  const lines: string[] = header ? [header.join(',')] : [];
  for (let i = 0; i < values.length; i += columns) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++)
      row.push(
        Number(values[i + c])
          .toPrecision(9)
          .replace(/\.?0+(e|$)/, '$1'),
      );
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}
