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

/** Parses numeric CSV text; errors name the file, the line and the problem. */
export function parseNumericCsv(text: string, file = '<input>'): NumericTable {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const values: number[] = [];
  let columns = 0;
  let rows = 0;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = trimmed.split(',').map((c) => c.trim());
    const numbers = cells.map((c) => (c === '' ? NaN : Number(c)));
    if (rows === 0 && header === null && numbers.some((n) => Number.isNaN(n)) && cells.every((c) => c !== '' && Number.isNaN(Number(c)))) {
      header = cells;
      columns = cells.length;
      return;
    }
    if (columns === 0) columns = cells.length;
    if (cells.length !== columns) throw new CsvError(file, `line ${index + 1} has ${cells.length} columns, expected ${columns}`);
    const bad = numbers.findIndex((n) => !Number.isFinite(n));
    if (bad >= 0) throw new CsvError(file, `line ${index + 1}, column ${bad + 1}: '${cells[bad]}' is not a finite number`);
    for (const number of numbers) values.push(number); // no spread: a very wide row would overflow the call stack
    rows += 1;
  });
  if (rows === 0) throw new CsvError(file, 'contains no data rows');
  return { columns, rows, values: Float32Array.from(values), header };
}

/** Reads a numeric CSV file (Node). */
export async function readNumericCsv(path: string): Promise<NumericTable> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CsvError(path, code === 'ENOENT' ? 'file not found' : `cannot be read (${code})`);
  }
  return parseNumericCsv(text, path);
}

/** Formats rows as CSV with enough digits to round-trip float32. */
export function formatCsv(values: ArrayLike<number>, columns: number, header?: string[]): string {
  const lines: string[] = header ? [header.join(',')] : [];
  for (let i = 0; i < values.length; i += columns) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(Number(values[i + c]).toPrecision(9).replace(/\.?0+(e|$)/, '$1'));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}
