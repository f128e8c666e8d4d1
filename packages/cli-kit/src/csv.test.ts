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

  it('takes a first row of nan or inf as data and refuses it, so that output rows stay in line with input rows', () => {
    for (const row of ['nan,nan', 'inf,inf', '-inf,NaN', 'Infinity,-Infinity', 'NA,NA']) {
      const cell = row.split(',')[0];
      expect(() => parseNumericCsv(`${row}\n1,2\n`, 'n.csv')).toThrow(`n.csv: line 1, column 1: '${cell}' is not a finite number`);
      expect(() => parseNumericCsv(`x,y\n1,2\n${row}\n`, 'n.csv')).toThrow(`n.csv: line 3, column 1: '${cell}' is not a finite number`);
    }
    // A header is a row of names: still read as one.
    expect(parseNumericCsv('x,"y value"\n1,2\n')).toMatchObject({ rows: 1, header: ['x', 'y value'] });
  });

  it('reads decimal numbers only: 0x10, 0b101 and 0o7 are refused, .5 and 5. are read', () => {
    for (const [cell, decimal] of [
      ['0x10', 16],
      ['0b101', 5],
      ['0o7', 7],
    ] as const) {
      expect(() => parseNumericCsv(`1,2\n3,${cell}\n`, 'h.csv')).toThrow(`h.csv: line 2, column 2: '${cell}' is not a decimal number`);
      expect(() => parseNumericCsv(`1,2\n3,${cell}\n`, 'h.csv')).toThrow(`write it as ${decimal}`);
      // Nor do they make a first row a header: they are numbers, written in another base.
      expect(() => parseNumericCsv(`${cell},1\n3,4\n`, 'h.csv')).toThrow(`h.csv: line 1, column 1: '${cell}' is not a decimal number`);
    }
    const table = parseNumericCsv('.5,5.\n-.25,+2.e1\n1E-2,-3e+2\n');
    expect(table.header).toBeNull();
    expect(Array.from(table.values)).toEqual([0.5, 5, -0.25, 20, Math.fround(0.01), -300]);
    for (const cell of ['.', '-', 'e5', '1e', '1_000', '1.2.3']) expect(() => parseNumericCsv(`1,2\n3,${cell}\n`)).toThrow(`'${cell}' is not a finite number`);
    expect(() => parseNumericCsv('1,2\n3,\n')).toThrow(/line 2, column 2: '' is not a finite number \(the cell is empty\)/);
  });

  it("names values beyond float32's range instead of reading them as Infinity", () => {
    expect(() => parseNumericCsv('x,y\n1,2\n1e39,0\n', 'f.csv')).toThrow("f.csv: line 3, column 1: '1e39' is beyond float32's range (±3.4e38)");
    expect(() => parseNumericCsv('x,y\n1,2\n0,-4e38\n', 'f.csv')).toThrow("line 3, column 2: '-4e38' is beyond float32's range");
    // The largest float32 itself is kept.
    expect(parseNumericCsv('3.4028234e38,1\n').values[0]).toBe(Math.fround(3.4028234e38));
  });

  it('gives the file line of each row, for later checks to name rows as an editor shows them', () => {
    const table = parseNumericCsv('x,y\n\n# c\n1,2\n3,4\n\n5,6\n');
    expect(Array.from(table.lines)).toEqual([4, 5, 7]);
  });
});
