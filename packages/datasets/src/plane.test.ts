import { describe, expect, it } from 'vitest';
import { columnStatistics, gridPoints, histogramOnGrid, plotRangeAround } from './plane.js';

describe('the plane helpers of the toy apps', () => {
  it('lay grid cell centres out in raster order: top row first, x growing along a row', () => {
    const points = gridPoints(
      [
        [0, 4],
        [0, 2],
      ],
      2,
    );
    expect(Array.from(points)).toEqual([1, 1.5, 3, 1.5, 1, 0.5, 3, 0.5]);
    // The heat maps of @flows/cli-kit's figures read densities in this order (moved from its tests with the function).
    const figureGrid = gridPoints(
      [
        [-4, 4],
        [-3, 3],
      ],
      4,
    );
    expect(Array.from(figureGrid.slice(0, 2))).toEqual([-3, 2.25]);
    expect(Array.from(figureGrid.slice(-2))).toEqual([3, -2.25]);
  });

  it('a histogram integrates to the fraction of points inside, in the same order as the grid', () => {
    const range: [[number, number], [number, number]] = [
      [0, 4],
      [0, 2],
    ];
    // Three points in the top-left cell, one in the bottom-right, one outside.
    const points = Float32Array.from([0.5, 1.9, 1, 1.2, 1.9, 1.5, 3.5, 0.1, 9, 9]);
    const density = histogramOnGrid(points, range, 2);
    const cellArea = 2 * 1;
    expect(Array.from(density).map((d) => Math.round(d * cellArea * 5 * 1e5) / 1e5)).toEqual([3, 0, 0, 1]);
    expect(density.reduce((a, b) => a + b, 0) * cellArea).toBeCloseTo(4 / 5, 6);
    expect(Array.from(histogramOnGrid(new Float32Array(0), range, 2))).toEqual([0, 0, 0, 0]);
  });

  it('a window around points keeps them inside with a tenth of each side to spare, in any units', () => {
    const [[x0, x1], [y0, y1]] = plotRangeAround(Float32Array.from([0, 0, 10, 5]));
    expect(x0).toBeLessThan(0);
    expect(x1).toBeGreaterThan(10);
    expect(y0).toBeLessThan(0);
    expect(y1).toBeGreaterThan(5);
    expect(plotRangeAround([0, 0, 10, 5])).toEqual([
      [-1, 11],
      [-0.5, 5.5],
    ]);
    // Data in small units fill the window as large ones do (a fixed ±0.5 made them a dot).
    const [[sx0, sx1]] = plotRangeAround([0.002, 0, 0.012, 1]);
    expect(sx0).toBeCloseTo(0.001, 12);
    expect(sx1).toBeCloseTo(0.013, 12);
    // A column of one value still gets a window with an area.
    expect(plotRangeAround([3, 1, 3, 2])[0]).toEqual([2.9, 3.1]);
    expect(plotRangeAround(new Float32Array(0))).toEqual([
      [-4, 4],
      [-4, 4],
    ]);
  });

  it('standardises each column by its mean and standard deviation; a constant column gets scale 1', () => {
    const { mean, scale } = columnStatistics([1, 10, 3, 10, 5, 10], 2);
    expect(mean).toEqual([3, 10]);
    expect(scale[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(scale[1]).toBe(1);
  });
});
