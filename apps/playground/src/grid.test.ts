import { describe, expect, it } from 'vitest';
import { densitiesFromLog, sharedDensityDomain } from './colour-scale.js';
import { gridPoints, histogramDensity, rangeAround } from './grid.js';

describe('grids', () => {
  it('lay cell centres out in raster order: top row first, x growing along a row', () => {
    const points = gridPoints(
      [
        [0, 4],
        [0, 2],
      ],
      2,
    );
    expect(Array.from(points)).toEqual([1, 1.5, 3, 1.5, 1, 0.5, 3, 0.5]);
  });

  it('a histogram integrates to the fraction of points inside, in the same order as the grid', () => {
    const range: [[number, number], [number, number]] = [
      [0, 4],
      [0, 2],
    ];
    // Three points in the top-left cell, one in the bottom-right, one outside.
    const points = Float32Array.from([0.5, 1.9, 1, 1.2, 1.9, 1.5, 3.5, 0.1, 9, 9]);
    const density = histogramDensity(points, range, 2);
    const cellArea = 2 * 1;
    expect(Array.from(density).map((d) => Math.round(d * cellArea * 5 * 1e5) / 1e5)).toEqual([3, 0, 0, 1]);
    expect(density.reduce((a, b) => a + b, 0) * cellArea).toBeCloseTo(4 / 5, 6);
  });

  it('a window around points keeps them inside with room to spare', () => {
    const [[x0, x1], [y0, y1]] = rangeAround(Float32Array.from([0, 0, 10, 5]));
    expect(x0).toBeLessThan(0);
    expect(x1).toBeGreaterThan(10);
    expect(y0).toBeLessThan(0);
    expect(y1).toBeGreaterThan(5);
    expect(rangeAround(new Float32Array(0))).toEqual([
      [-4, 4],
      [-4, 4],
    ]);
  });
});

describe('colour scales', () => {
  it('turn log-densities into densities, with NaN and −∞ as 0 and +∞ as the largest finite density', () => {
    expect(Array.from(densitiesFromLog([0, Math.log(2), -Infinity, Number.NaN, Infinity]))).toEqual([1, 2, 0, 0, 2]);
  });

  it('share one domain between model and truth, capped so an early model spike cannot flatten the truth', () => {
    expect(sharedDensityDomain([0.1, 0.3], [0.2, 0.4])).toEqual([0, 0.4]);
    expect(sharedDensityDomain([0.1, 0.5], [0.2, 0.4])).toEqual([0, 0.5]);
    expect(sharedDensityDomain([0.1, 100], [0.2, 0.4])[1]).toBeCloseTo(0.6, 10);
    expect(sharedDensityDomain([0, 0], null)).toEqual([0, 1]);
    expect(sharedDensityDomain([0.2, Number.NaN], null)).toEqual([0, 0.2]);
  });
});

describe('heat map pixels', () => {
  it('look values up in a colour table, clamped to the domain, NaN transparent', async () => {
    const { colourTable, heatmapPixels, parseColour } = await import('./colour-scale.js');
    expect(parseColour('#ff8000')).toEqual([255, 128, 0]);
    expect(parseColour('rgb(1, 2, 3)')).toEqual([1, 2, 3]);
    expect(() => parseColour('teal')).toThrow(/unreadable colour/);
    const grey = (v: number) => `rgb(${Math.round(v * 255)}, ${Math.round(v * 255)}, ${Math.round(v * 255)})`;
    const table = colourTable([0, 1], grey, 256);
    const pixels = heatmapPixels([0, 0.5, 1, 2, -1, Number.NaN], [0, 1], table);
    expect(Array.from(pixels)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0]);
  });
});
