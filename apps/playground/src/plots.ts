import * as Plot from '@observablehq/plot';
import { colourTable, densitiesFromLog, heatmapPixels } from './colour-scale.js';
import type { Range2D } from '@flows/datasets';
import type { FieldViews } from './field-views.js';
import type { LayerViews } from './session.js';

/** Plot's figures carry their scales; `invert` turns a pixel back into data coordinates. */
type Figure = (SVGSVGElement | HTMLElement) & { scale(name: 'x' | 'y'): { invert(pixel: number): number } | undefined };

const SIZE = 300;

function pairs(values: ArrayLike<number>): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) points.push({ x: values[i], y: values[i + 1] });
  return points;
}

const MARGINS = { marginTop: 30, marginRight: 20, marginBottom: 40, marginLeft: 45 };

/** The colour scale the heat maps and the colour bar share, as a lookup table (one per domain). */
let cachedTable: { domain: string; table: Uint8ClampedArray } | null = null;
function viridisTable(domain: [number, number]): Uint8ClampedArray {
  const key = domain.join(',');
  if (cachedTable?.domain !== key) {
    const scale = Plot.scale({ color: { type: 'linear', scheme: 'viridis', domain } });
    cachedTable = { domain: key, table: colourTable(domain, (value) => String(scale.apply(value))) };
  }
  return cachedTable.table;
}

/** A heat map figure whose pixels can be replaced without drawing the figure again. */
export interface Heatmap {
  figure: Figure;
  /** Paints densities on the grid (raster order of gridPoints) with the shared colour domain. */
  update(values: Float32Array, resolution: number, domain: [number, number]): void;
}

/**
 * A heat map with axes and a title over `range`. The axes are drawn once by Plot; each update paints
 * the cells into a canvas of one pixel per cell through a colour table and swaps the picture in.
 * Drawing a new Plot figure per refresh, while a run trained beside it, took long enough to stall
 * the page (bench/results.md).
 */
export function heatmap(range: Range2D, title: string): Heatmap {
  const [[x0, x1], [y0, y1]] = range;
  const innerWidth = SIZE - MARGINS.marginLeft - MARGINS.marginRight;
  const innerHeight = SIZE - MARGINS.marginTop - MARGINS.marginBottom;
  const figure = Plot.plot({
    width: SIZE,
    height: SIZE,
    ...MARGINS,
    title,
    x: { domain: [x0, x1], label: 'x₁' },
    y: { domain: [y0, y1], label: 'x₂' },
    marks: [
      Plot.image([{ x: (x0 + x1) / 2, y: (y0 + y1) / 2 }], {
        x: 'x',
        y: 'y',
        src: () => 'data:,',
        width: innerWidth,
        height: innerHeight,
        preserveAspectRatio: 'none',
        imageRendering: 'pixelated',
      }),
      Plot.frame(),
    ],
  }) as Figure;
  const image = figure.querySelector('image');
  const canvas = document.createElement('canvas');
  return {
    figure,
    update(values, resolution, domain) {
      canvas.width = resolution;
      canvas.height = resolution;
      // Row 0 of the grid is the top row (gridPoints), as it is in the canvas.
      canvas.getContext('2d')?.putImageData(new ImageData(heatmapPixels(values, domain, viridisTable(domain)), resolution, resolution), 0, 0);
      image?.setAttribute('href', canvas.toDataURL());
    },
  };
}

/** The colour bar both heatmaps use. */
export function colourBar(domain: [number, number]): Element {
  return Plot.legend({ color: { type: 'linear', scheme: 'viridis', domain, label: 'density p(x)' }, width: 280 }) as Element;
}

export function modelDensities(logDensities: Float32Array): Float32Array {
  return densitiesFromLog(logDensities);
}

/** Model samples over data points. */
export function samplesOverData(options: { model: Float32Array; data: Float32Array; range: Range2D }): Figure {
  const [[x0, x1], [y0, y1]] = options.range;
  return Plot.plot({
    width: SIZE,
    height: SIZE,
    marginLeft: 40,
    title: 'Samples: model (orange) over data (blue)',
    x: { domain: [x0, x1], label: 'x₁' },
    y: { domain: [y0, y1], label: 'x₂' },
    marks: [
      Plot.dot(pairs(options.data), { x: 'x', y: 'y', r: 1.2, fill: '#4c78a8', fillOpacity: 0.5, clip: true }),
      Plot.dot(pairs(options.model), { x: 'x', y: 'y', r: 1.2, fill: '#f58518', fillOpacity: 0.6, clip: true }),
      Plot.frame(),
    ],
  }) as Figure;
}

/** The training loss's name in the curves' legend: a flow of layers minimises the NLL, a continuous flow flow matching's squared error. */
export const LOSS_LABELS = { layered: 'training loss (NLL, nats)', continuous: 'training loss (flow matching, squared error)' } as const;

/** Loss and (for toys with an exact density) KL against the step. */
export function curves(options: { loss: { step: number; loss: number }[]; kl: { step: number; kl: number }[]; lossLabel?: string }): Figure {
  const lossLabel = options.lossLabel ?? LOSS_LABELS.layered;
  const rows = [
    ...options.loss.map((d) => ({ step: d.step, value: d.loss, series: lossLabel })),
    ...options.kl.map((d) => ({ step: d.step, value: d.kl, series: 'KL(data ‖ model), nats' })),
  ];
  return Plot.plot({
    width: 2 * SIZE,
    height: 220,
    marginLeft: 50,
    title: 'Training curves',
    x: { label: 'step', grid: true },
    y: { label: lossLabel === LOSS_LABELS.layered ? 'nats' : 'loss, KL (nats)', grid: true },
    color: { legend: true, domain: [lossLabel, 'KL(data ‖ model), nats'], range: ['#4c78a8', '#e45756'] },
    marks: [
      Plot.ruleY([0]),
      Plot.line(rows, { x: 'step', y: 'value', stroke: 'series' }),
      Plot.dot(
        rows.filter((r) => r.series.startsWith('KL')),
        { x: 'step', y: 'value', fill: 'series', r: 2 },
      ),
    ],
  }) as Figure;
}

/** A window that holds most of the points (2nd to 98th percentile, padded): a few far-flung samples do not shrink the picture. */
export function robustWindow(values: ArrayLike<number>): Range2D {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) {
    if (Number.isFinite(values[i]) && Number.isFinite(values[i + 1])) {
      xs.push(values[i]);
      ys.push(values[i + 1]);
    }
  }
  const window = (list: number[]): [number, number] => {
    if (list.length === 0) return [-3, 3];
    list.sort((a, b) => a - b);
    const low = list[Math.floor(0.02 * (list.length - 1))];
    const high = list[Math.ceil(0.98 * (list.length - 1))];
    const pad = Math.max(0.25, 0.15 * (high - low));
    return [low - pad, high + pad];
  };
  return [window(xs), window(ys)];
}

/** Stage `stage` of the layer-by-layer view: the base grid and samples after that many layers, and the chosen point's path. */
export function layerStage(views: LayerViews, stage: number): Figure {
  const lines: { x: number; y: number; line: number }[] = [];
  const grid = views.gridStages[stage];
  const perLine = views.pointsPerLine;
  for (let i = 0; i < grid.length / 2; i++) lines.push({ x: grid[2 * i], y: grid[2 * i + 1], line: Math.floor(i / perLine) });
  const samples = pairs(views.sampleStages[stage]);
  const [[x0, x1], [y0, y1]] = robustWindow(views.sampleStages[stage]);
  const path = views.pointPath.map(([x, y], k) => ({ x, y, k }));
  const last = views.layerNames.length;
  const title =
    stage === 0
      ? `Base: N(0, I), before any layer (stage 0 of ${last})`
      : `After layer ${stage} of ${last} (${views.layerNames[stage - 1]})${stage === last ? ': the model' : ''}`;
  return Plot.plot({
    width: 2 * SIZE,
    height: 2 * SIZE - 80,
    marginLeft: 40,
    title,
    x: { domain: [x0, x1], label: stage === 0 ? 'z₁' : 'x₁' },
    y: { domain: [y0, y1], label: stage === 0 ? 'z₂' : 'x₂' },
    marks: [
      Plot.line(lines, { x: 'x', y: 'y', z: 'line', stroke: '#9aa5b1', strokeWidth: 0.8, clip: true }),
      Plot.dot(samples, { x: 'x', y: 'y', r: 1.4, fill: '#f58518', fillOpacity: 0.55, clip: true }),
      Plot.line(path, { x: 'x', y: 'y', stroke: '#e45756', strokeDasharray: '3,3', clip: true }),
      Plot.dot(path, { x: 'x', y: 'y', r: 2.5, fill: '#e45756', clip: true }),
      Plot.dot([path[stage]], { x: 'x', y: 'y', r: 6, stroke: '#e45756', strokeWidth: 2.5, fill: 'white', clip: true }),
      Plot.frame(),
    ],
  }) as Figure;
}

/** Particles whose way from the base is drawn as a trail (a few: the trails are for the eye, the dots for the distribution). */
const TRAILS = 40;

/**
 * Frame `frame` of the vector-field view: `v(x, t)` as arrows on the coarse grid (length in
 * proportion to the speed, on one scale for every frame of `views`, so arrows compare across time),
 * the particles at that time, and the trails of a few of them from the base.
 */
export function fieldFrame(views: FieldViews, frame: number): Figure {
  const k = Math.max(0, Math.min(views.times.length - 1, Math.round(frame)));
  const [[x0, x1], [y0, y1]] = views.window;
  const width = 2 * SIZE;
  const height = 2 * SIZE - 80;
  const margins = { marginTop: 30, marginRight: 20, marginBottom: 40, marginLeft: 45 };
  // Pixels per unit along each axis: an arrow points where the velocity moves a particle on the screen.
  const sx = (width - margins.marginLeft - margins.marginRight) / (x1 - x0);
  const sy = (height - margins.marginTop - margins.marginBottom) / (y1 - y0);
  const cell = Math.min(
    (width - margins.marginLeft - margins.marginRight) / views.gridSize,
    (height - margins.marginTop - margins.marginBottom) / views.gridSize,
  );
  let fastest = 1e-12;
  for (const velocities of views.velocities)
    for (let i = 0; i + 1 < velocities.length; i += 2) fastest = Math.max(fastest, Math.hypot(sx * velocities[i], sy * velocities[i + 1]));
  const velocities = views.velocities[k];
  const arrows: { x: number; y: number; speed: number; angle: number }[] = [];
  for (let i = 0; i + 1 < views.arrowPoints.length; i += 2) {
    const [u, v] = [sx * velocities[i], sy * velocities[i + 1]];
    // Plot's rotate is clockwise from up, in degrees; the screen's up is the data's +y.
    arrows.push({ x: views.arrowPoints[i], y: views.arrowPoints[i + 1], speed: Math.hypot(u, v), angle: (Math.atan2(u, v) * 180) / Math.PI });
  }
  const trails: { x: number; y: number; particle: number }[] = [];
  const count = Math.min(TRAILS, views.particles[0].length / 2);
  for (let particle = 0; particle < count; particle++)
    for (let j = 0; j <= k; j++) trails.push({ x: views.particles[j][2 * particle], y: views.particles[j][2 * particle + 1], particle });
  const t = views.times[k];
  return Plot.plot({
    width,
    height,
    ...margins,
    title: `Vector field v(x, t) and particles at t = ${t.toFixed(2)}${k === 0 ? ' (the base)' : k === views.times.length - 1 ? ' (the model)' : ''}`,
    x: { domain: [x0, x1], label: 'x₁' },
    y: { domain: [y0, y1], label: 'x₂' },
    length: { type: 'linear', domain: [0, fastest], range: [0, 0.9 * cell] },
    marks: [
      Plot.vector(arrows, { x: 'x', y: 'y', length: 'speed', rotate: 'angle', anchor: 'start', stroke: '#4c78a8', strokeWidth: 1.2, clip: true }),
      Plot.line(trails, { x: 'x', y: 'y', z: 'particle', stroke: '#e45756', strokeOpacity: 0.35, strokeWidth: 0.8, clip: true }),
      Plot.dot(pairs(views.particles[k]), { x: 'x', y: 'y', r: 1.8, fill: '#f58518', fillOpacity: 0.75, clip: true }),
      Plot.frame(),
    ],
  }) as Figure;
}

/** The drawing pad: the user's points over a fixed window, with axes; pixels map back through the figure's scales. */
export function drawPad(points: Float32Array): Figure {
  return Plot.plot({
    width: SIZE,
    height: SIZE,
    marginLeft: 40,
    title: 'Draw your own: drag to paint points',
    x: { domain: [-4, 4], label: 'x₁' },
    y: { domain: [-4, 4], label: 'x₂' },
    marks: [Plot.dot(pairs(points), { x: 'x', y: 'y', r: 1.2, fill: '#4c78a8', fillOpacity: 0.6, clip: true }), Plot.frame()],
  }) as Figure;
}

export type { Figure };
