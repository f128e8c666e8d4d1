import { describe, expect, it } from 'vitest';
import { densitiesFromLog, sharedDensityDomain } from './colour-scale.js';

// The grids, histograms and windows moved to @flows/datasets (plane.test.ts), shared with toy-flow.
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
