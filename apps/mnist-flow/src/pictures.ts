import { curvesFigure, imageGridFigure, writeFigure } from '@flows/cli-kit';
import type { ImageView } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { bitsPerDimension, writeFileAtomic } from '@flows/flows';
import { digitContext, toPixels } from './preprocessing.js';

/**
 * A grid of samples at a temperature, written as SVG and PNG with a caption (the path's extension
 * is replaced by each): 8 × 8 (or n images) from an unconditional
 * model; from a class-conditional one, `n` samples of `digit`, or without a digit one row per
 * class 0-9 with 8 samples each.
 */
export async function writeSampleGrid(
  model: Distribution,
  view: ImageView,
  path: string,
  options: { n?: number; temperature?: number; seed?: number; digit?: number; title?: string } = {},
): Promise<string> {
  const conditional = model.contextSize > 0;
  const perRow = 8;
  const n = conditional && options.digit === undefined ? 10 * perRow : (options.n ?? 64);
  const labels = conditional ? Array.from({ length: n }, (_, i) => options.digit ?? Math.floor(i / perRow)) : null;
  const context = labels ? digitContext(labels) : undefined;
  const x = model.sample(n, { random: options.seed ?? 0, temperature: options.temperature ?? 1, context });
  context?.dispose();
  const images = await toPixels(x, view);
  x.dispose();
  const columns = conditional && options.digit === undefined ? perRow : Math.ceil(Math.sqrt(n));
  const temperature = options.temperature ?? 1;
  const what = conditional ? (options.digit === undefined ? 'one row per digit 0-9' : `digit ${options.digit}`) : `${n} samples`;
  const caption = `${what}, temperature ${temperature}, seed ${options.seed ?? 0}`;
  return writeFigure(
    path,
    imageGridFigure({ images, rows: 28, columns: 28, gridColumns: columns, title: options.title ?? 'samples', caption }),
    writeFileAtomic,
  );
}

/** One row of metrics.json per epoch (the fields that the curves show). */
export interface EpochCurvesRow {
  epoch: number;
  /** null for a cnf (trained by flow matching): no training curve. */
  trainNll: number | null;
  testBpd: number;
  validationBpd?: number;
  learningRate: number;
}

/**
 * `training.svg`/`.png`: bits per dimension (train, test, validation) and the learning rate per epoch.
 * The training NLL (nats per image, the density the test NLL is also measured in) goes on the bits/dim
 * scale with the run's bin width, as the test figure does.
 */
export async function writeEpochCurves(path: string, rows: EpochCurvesRow[], binWidth: number): Promise<string> {
  const figure = curvesFigure({
    title: 'training',
    xTitle: 'epoch',
    panels: [
      {
        title: 'bits per dimension',
        yTitle: 'bits/dim',
        curves: [
          {
            name: 'train',
            points: rows.map((row) => ({ x: row.epoch, y: row.trainNll === null ? Number.NaN : bitsPerDimension(row.trainNll, 784, binWidth) })),
          },
          { name: 'test', points: rows.map((row) => ({ x: row.epoch, y: row.testBpd })) },
          { name: 'validation', points: rows.map((row) => ({ x: row.epoch, y: row.validationBpd ?? Number.NaN })) },
        ].filter((curve) => curve.points.some((point) => Number.isFinite(point.y))),
      },
      {
        title: 'learning rate',
        yTitle: 'learning rate',
        logScale: true,
        curves: [{ name: 'learning rate', points: rows.map((row) => ({ x: row.epoch, y: row.learningRate })) }],
      },
    ],
  });
  return writeFigure(path, figure, writeFileAtomic);
}
