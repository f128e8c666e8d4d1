import { CsvError, type NumericTable, parseNumericCsv } from './csv.js';

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
