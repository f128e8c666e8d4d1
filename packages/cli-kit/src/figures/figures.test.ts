import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { colourMap, curvesFigure, densityFigure, finiteMaximum, imageGridFigure, imageMosaic, pointsFigure, rasterDataUrl, renderFigure } from './index.js';

const range: [[number, number], [number, number]] = [
  [-4, 4],
  [-3, 3],
];

/** A Gaussian at the centres of the heat maps' grid: row 0 at the top, columns left to right (`gridPoints` of @flows/datasets). */
function gaussianOnGrid(size: number, spread: number): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  return Float32Array.from({ length: size * size }, (_, k) => {
    const x = x0 + ((k % size) + 0.5) * ((x1 - x0) / size);
    const y = y1 - (Math.floor(k / size) + 0.5) * ((y1 - y0) / size);
    return Math.exp(-(x ** 2 + y ** 2) / (2 * spread));
  });
}

/** The colour of the PNG pixel at (x, y) in SVG units (the PNG is drawn at twice the size). */
function pixel(png: ReturnType<typeof decode>, x: number, y: number): number[] {
  const i = (Math.round(2 * y) * png.width + Math.round(2 * x)) * png.channels;
  return Array.from(png.data.slice(i, i + 3));
}

describe('grid and colour helpers', () => {
  // The grid's own order (row 0 at the top, at cell centres) is tested with gridPoints in @flows/datasets (plane.test.ts).
  it('maps 0 and 1 to the ends of viridis and clamps outside, NaN to the bottom', () => {
    const viridis = colourMap('viridis');
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(7)).toEqual(viridis(1));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
    expect(() => colourMap('no-such-scheme')).toThrow(/unknown colour scheme/);
  });

  it('finds the largest finite value for the colour scale', () => {
    expect(finiteMaximum([0.5, Number.POSITIVE_INFINITY, Number.NaN, 2])).toBe(2);
    expect(finiteMaximum([0, -1])).toBe(1);
  });

  it('lays images out in a mosaic with one-pixel borders', () => {
    const mosaic = imageMosaic(
      [
        [1, 1, 1, 1],
        [0, 0, 0, 0],
        [0.5, 0.5, 0.5, 0.5],
      ],
      2,
      2,
      2,
    );
    expect([mosaic.width, mosaic.height]).toEqual([7, 7]);
    expect(mosaic.pixels[0]).toBe(128); // border
    expect(mosaic.pixels[1 * 7 + 1]).toBe(255); // first image
    expect(mosaic.pixels[1 * 7 + 4]).toBe(0); // second image, same row
    expect(mosaic.pixels[4 * 7 + 1]).toBe(128); // third image on the second row
    expect(mosaic.pixels[4 * 7 + 4]).toBe(128); // empty cell stays border grey
  });

  it('encodes a raster as a PNG data URL that decodes to the same pixels', () => {
    const url = rasterDataUrl(3, 2, (k) => [k * 10, 0, 255]);
    const png = decode(Buffer.from(url.replace('data:image/png;base64,', ''), 'base64'));
    expect([png.width, png.height, png.channels]).toEqual([3, 2, 3]);
    expect(Array.from(png.data.slice(15, 18))).toEqual([50, 0, 255]);
  });
});

describe('figures', () => {
  it('draws density panels with titles, axis titles, a colour bar, and the densities in viridis', async () => {
    const size = 40;
    const spec = densityFigure({
      title: 'two Gaussians',
      panels: [
        { title: 'model', densities: gaussianOnGrid(size, 1) },
        { title: 'true density', densities: gaussianOnGrid(size, 1) },
      ],
      range,
      size,
      colourTitle: 'p(x)',
    });
    const { svg, png } = await renderFigure(spec);
    for (const text of ['two Gaussians', 'model', 'true density', 'x₁', 'x₂', 'p(x)']) expect(svg).toContain(`>${text}<`);
    expect(svg).toContain('linearGradient'); // the colour bar
    expect(svg.length).toBeLessThan(200_000);
    const picture = decode(png);
    expect(picture.width).toBeGreaterThan(2 * 2 * 260);
    // Somewhere the picture shows the bright yellow top of viridis (the density peaks at 1).
    let yellow = 0;
    for (let i = 0; i < picture.data.length; i += picture.channels)
      if (picture.data[i] > 200 && picture.data[i + 1] > 200 && picture.data[i + 2] < 100) yellow += 1;
    expect(yellow).toBeGreaterThan(50);
  });

  it('draws point series with a legend in their colours, clipped to the range', async () => {
    const data = Float32Array.from({ length: 400 }, (_, i) => (i % 2 ? 1.5 : -2));
    const samples = Float32Array.from({ length: 400 }, (_, i) => (i % 2 ? -1.5 : 2));
    const spec = pointsFigure({
      title: 'samples over data',
      range,
      series: [
        { name: 'data', points: data, colour: '#1f5fd6' },
        { name: 'model samples', points: samples, colour: '#c8001e' },
      ],
      background: { densities: gaussianOnGrid(20, 1), size: 20, maximum: 1 },
    });
    const { svg, png } = await renderFigure(spec);
    for (const text of ['samples over data', 'data', 'model samples', 'x₁', 'x₂']) expect(svg).toContain(`>${text}<`);
    const picture = decode(png);
    // The plot area starts after the y axis; find the point clusters by colour anywhere in the PNG.
    let blue = 0;
    let red = 0;
    for (let i = 0; i < picture.data.length; i += picture.channels) {
      const [r, g, b] = [picture.data[i], picture.data[i + 1], picture.data[i + 2]];
      if (b > r + 60 && b > g + 30) blue += 1;
      if (r > g + 80 && r > b + 60) red += 1;
    }
    expect(blue).toBeGreaterThan(20);
    expect(red).toBeGreaterThan(20);
  });

  it('thins long series to the point limit and leaves out points outside the range', async () => {
    const points = new Float32Array(2 * 10_000);
    const spec = pointsFigure({ title: 't', range, series: [{ name: 's', points, colour: 'red' }], maximumPoints: 1000 }) as {
      layer: { data: { values: unknown[] } }[];
    };
    expect(spec.layer[0].data.values.length).toBe(1000);
    const outside = pointsFigure({
      title: 't',
      range,
      series: [{ name: 's', points: [0, 0, 50, 0, 0, -50, Number.NaN, 0, 1e30, 1e30], colour: 'red' }],
      background: { densities: [1], size: 1, maximum: 1 },
    });
    expect((outside as { layer: { data: { values: unknown[] } }[] }).layer[1].data.values).toEqual([{ x: 0, y: 0, series: 's' }]);
    // Rendering points far outside used to abort the process inside resvg; now they never reach it.
    const far = Float32Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 40 : 0.5));
    expect(
      (
        await renderFigure(
          pointsFigure({ title: 't', range, series: [{ name: 's', points: far, colour: 'red' }], background: { densities: [1], size: 1, maximum: 1 } }),
        )
      ).png.length,
    ).toBeGreaterThan(1000);
  });

  it('draws training curves, leaving out empty panels and non-finite values', async () => {
    const steps = Array.from({ length: 30 }, (_, i) => (i + 1) * 100);
    const spec = curvesFigure({
      title: 'training',
      xTitle: 'step',
      panels: [
        {
          title: 'loss',
          yTitle: 'nats',
          curves: [
            { name: 'train', points: steps.map((x) => ({ x, y: 3 / Math.sqrt(x) })) },
            {
              name: 'validation',
              points: [
                { x: 1500, y: 0.1 },
                { x: 3000, y: Number.NaN },
              ],
            },
          ],
        },
        { title: 'learning rate', yTitle: 'learning rate', logScale: true, curves: [{ name: 'lr', points: steps.map((x) => ({ x, y: 1e-3 * 0.99 ** x })) }] },
        { title: 'KL', yTitle: 'nats', curves: [{ name: 'kl', points: [{ x: 1, y: Number.NaN }] }] },
      ],
    });
    const { svg } = await renderFigure(spec);
    for (const text of ['training', 'loss', 'learning rate', 'step', 'train', 'validation']) expect(svg).toContain(`>${text}<`);
    expect(svg).not.toContain('>KL<');
    expect(svg).not.toContain('NaN');
  });

  it('draws an image grid with its caption, each image pixel as a scale × scale block', async () => {
    const white = new Float32Array(28 * 28).fill(1);
    const black = new Float32Array(28 * 28);
    const { svg, png } = await renderFigure(
      imageGridFigure({ images: [white, black], rows: 28, columns: 28, gridColumns: 2, title: 'samples', caption: 'temperature 0.8, seed 3', scale: 2 }),
    );
    expect(svg).toContain('>samples<');
    expect(svg).toContain('>temperature 0.8, seed 3<');
    const picture = decode(png);
    // Image width: 2 × (2 × 29 + 1) = 118 SVG units, drawn at twice the size in the PNG.
    expect(picture.width).toBeGreaterThanOrEqual(2 * 118);
    expect(Math.max(...pixel(picture, 0, 0))).toBe(255); // white background at the corner
  });
});
