import { describe, expect, it } from 'vitest';
import { formatCsv, parseNumericCsv } from './csv.js';

describe('numeric CSV', () => {
  it('round-trips with a header; errors name the line', () => {
    const table = parseNumericCsv(formatCsv([1, 2.5, -3, 4e-7], 2, ['x', 'y']));
    expect(table).toMatchObject({ columns: 2, rows: 2, header: ['x', 'y'] });
    expect(Array.from(table.values)).toEqual([1, 2.5, -3, Math.fround(4e-7)]);
    expect(() => parseNumericCsv('1,2\n3\n', 'p.csv')).toThrow(/p\.csv: line 2 has 1 columns, expected 2/);
    expect(() => parseNumericCsv('x,y\n', 'p.csv')).toThrow(/no data rows/);
  });

  it('reads quoted cells, CRLF, comments and blank lines, and counts lines as the file does', () => {
    const table = parseNumericCsv('"x","y"\r\n# a comment\r\n\r\n"1.5", 2\r\n3,4\r\n');
    expect(table).toMatchObject({ columns: 2, rows: 2, header: ['x', 'y'] });
    expect(Array.from(table.values)).toEqual([1.5, 2, 3, 4]);
    expect(() => parseNumericCsv('x,y\n\n# c\n1,2\n1,NaN\n', 'q.csv')).toThrow(/q\.csv: line 5, column 2: 'NaN' is not a finite number/);
    expect(() => parseNumericCsv('x,y\n1,2\n1,1e999\n', 'q.csv')).toThrow(/line 3, column 2: '1e999'/);
  });

  it('names a malformed file instead of failing inside the parser', () => {
    expect(() => parseNumericCsv('x,y\n"1,2\n', 'broken.csv')).toThrow(/broken\.csv: .*quote/i);
  });
});
