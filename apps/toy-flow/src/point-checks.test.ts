import { Random } from '@flows/core';
import { TOY_NAMES, toyByName } from '@flows/datasets';
import { parseNumericCsv } from '@flows/cli-kit';
import { selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkTrainingPoints, dependentColumn, outlyingValues } from './point-checks.js';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

const table = (rows: number[][]) => ({ columns: rows[0].length, rows: rows.length, values: Float32Array.from(rows.flat()) });

/** Seeded heavy-tailed columns: Student-t with 3 degrees of freedom, a lognormal with σ = 1, an exponential. */
function heavyTailed(n: number, seed: number): number[][] {
  const random = new Random(seed);
  const t = (dof: number) => {
    let chi = 0;
    for (let i = 0; i < dof; i++) chi += random.normal() ** 2;
    return random.normal() / Math.sqrt(chi / dof);
  };
  return Array.from({ length: n }, () => [t(3), Math.exp(random.normal()), -Math.log(1 - random.uniform())]);
}

describe('outlying rows', () => {
  it('the built-in toys and heavy-tailed data (Student-t with 3 degrees of freedom, lognormal σ = 1, exponential) trip nothing', async () => {
    for (const name of TOY_NAMES) {
      const toy = toyByName(name);
      const samples = toy.sample(100_000, { random: 5 });
      const values = (await samples.data()) as Float32Array;
      samples.dispose();
      toy.dispose();
      expect({ name, outliers: outlyingValues({ columns: 2, rows: 100_000, values }) }).toEqual({ name, outliers: [] });
    }
    for (const [n, seed] of [
      [3000, 1],
      [100_000, 2],
      [1_000_000, 3],
    ])
      expect(outlyingValues(table(heavyTailed(n, seed)))).toEqual([]);
  });

  it('one extreme row, a sentinel and a value in a column that is mostly zero are found by row and column', () => {
    const random = new Random(3);
    const rows = Array.from({ length: 3000 }, (_, i) => [10 + random.normal(), 10 + random.normal(), i % 500 === 0 ? random.normal() : 0]);
    rows[2999] = [1e30, 0, 0];
    rows[17] = [10, -9999, 0];
    rows[1234][2] = 1e30;
    const found = outlyingValues(table(rows));
    expect(found.map(({ row, column }) => [row, column])).toEqual([
      [17, 1],
      [1234, 2],
      [2999, 0],
    ]);
    // A constant column is not an outlier question (dependentColumn names it).
    expect(outlyingValues(table(rows.map(([x]) => [x, 4])))).toHaveLength(1);
  });
});

describe('degenerate points', () => {
  it('names a constant column, all rows equal, points on a line or a plane, and too few distinct rows', () => {
    const random = new Random(4);
    const spread = Array.from({ length: 400 }, () => [random.normal(), random.normal(), random.normal()]);
    expect(dependentColumn(table(spread))).toBeNull();
    expect(dependentColumn(table(spread.map(([x, y]) => [x, 7, y])))).toEqual({ column: 1, constant: 7 });
    expect(dependentColumn(table(spread.map(() => [1, 2])))).toEqual({ column: 0, constant: 1 });
    expect(dependentColumn(table(spread.map(([x, y]) => [x, y, 2 * x - 3 * y + 1])))).toEqual({ column: 2 });
    expect(dependentColumn(table(spread.map(([x]) => [x, 0.5 * x])))).toEqual({ column: 1 });
    // Three distinct points in three dimensions lie on a plane.
    expect(
      dependentColumn(
        table(
          spread.map(
            (_, i) =>
              [
                [0, 0, 0],
                [1, 0, 2],
                [0, 3, 1],
              ][i % 3],
          ),
        ),
      ),
    ).toEqual({ column: 2 });
    // Strongly but not exactly correlated columns are fine.
    expect(dependentColumn(table(spread.map(([x, y]) => [x, x + 1e-3 * y])))).toBeNull();
  });

  it('the messages name the file, the lines and the fix', () => {
    const rows = ['x,y', ...Array.from({ length: 50 }, (_, i) => `${i % 7},${(i * 3) % 11}`), '1e30,0', '2,-9999'];
    const points = parseNumericCsv(`${rows.join('\n')}\n`, 'p.csv');
    const check = (keepOutliers: boolean, standardize: boolean) => () => checkTrainingPoints(points, 'p.csv', { keepOutliers, standardize });
    expect(check(false, true)).toThrow(
      /^p\.csv: 2 rows lie far outside the rest of the data, .*: line 52, column 1 \(x\): 1e\+30 \(the column's median is 3\); line 53, column 2 \(y\): -9999 .*pass --keep-outliers/,
    );
    expect(check(true, false)).toThrow(/p\.csv: line 52, column 1 \(x\): 1e\+30 is beyond ±1e\+15, .*drop --no-standardize/);
    expect(check(true, true)).not.toThrow();
    const flat = parseNumericCsv(`a,b\n${Array.from({ length: 30 }, (_, i) => `${i},5`).join('\n')}\n`);
    expect(() => checkTrainingPoints(flat, 'f.csv', { keepOutliers: false, standardize: true })).toThrow(
      /^f\.csv: column 2 \(b\) is constant \(every row holds 5\): a density on such points is unbounded.*Drop the column/,
    );
  });
});
