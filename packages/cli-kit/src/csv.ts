import { parse } from 'csv-parse/sync';

/** Numeric CSV: rows of numbers with the same number of columns; an optional non-numeric header. */
export interface NumericTable {
  columns: number;
  rows: number;
  values: Float32Array;
  header: string[] | null;
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
 * Parses numeric CSV text; errors name the file, the line and the problem. The text is split into
 * records by csv-parse (quotes, CRLF, `#` comments and blank lines as RFC 4180 and common practice
 * have them); this function decides what a numeric table is: an optional header of non-numbers,
 * then rows of finite numbers, all with the same number of columns.
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
  let columns = 0;
  let rows = 0;
  for (const { record: cells, info } of records) {
    const line = info.lines;
    const numbers = cells.map((c) => (c === '' ? NaN : Number(c)));
    if (rows === 0 && header === null && cells.every((c) => c !== '' && Number.isNaN(Number(c)))) {
      header = cells;
      columns = cells.length;
      continue;
    }
    if (columns === 0) columns = cells.length;
    if (cells.length !== columns) throw new CsvError(file, `line ${line} has ${cells.length} columns, expected ${columns}`);
    const bad = numbers.findIndex((n) => !Number.isFinite(n));
    if (bad >= 0) throw new CsvError(file, `line ${line}, column ${bad + 1}: '${cells[bad]}' is not a finite number`);
    for (const number of numbers) values.push(number); // no spread: a very wide row would overflow the call stack
    rows += 1;
  }
  if (rows === 0) throw new CsvError(file, 'contains no data rows');
  return { columns, rows, values: Float32Array.from(values), header };
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
