import * as tf from '@tensorflow/tfjs-core';
import { curvesFigure, densityFigure, finiteMaximum, pointsFigure, writeFigure } from '@flows/cli-kit';
import { gridPoints, type Range2D } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';
import type { SolverOptions } from '@flows/continuous';
import { PICTURE_SOLVER, pictureLogProb } from './continuous-toy-flow.js';

/** Grid cells along each side of a density picture. */
export const PANEL = 320;

/** exp(logProb) on the grid, in batches (a continuous flow's with its picture solver, see {@link pictureLogProb}). */
export async function densityOnGrid(model: Distribution, range: Range2D, size = PANEL, solver: SolverOptions = PICTURE_SOLVER): Promise<Float32Array> {
  const points = gridPoints(range, size);
  const out = new Float32Array(size * size);
  const batch = 20_000;
  for (let start = 0; start < size * size; start += batch) {
    const count = Math.min(batch, size * size - start);
    // Read back outside tf.tidy: tidy walks a returned typed array element by element.
    const density = tf.tidy(() => tf.exp(pictureLogProb(model, tf.tensor2d(points.subarray(2 * start, 2 * (start + count)), [count, 2]), solver)));
    out.set(await density.data(), start); // asynchronous: WebGPU in Node cannot read synchronously
    density.dispose();
  }
  return out;
}

/** What the reference density of the pictures is. */
export type ReferenceKind = 'true density' | 'data histogram' | 'target density';

/**
 * `density.svg`/`.png`: the model density beside the reference (the true density, the target, or a
 * histogram of the data) on one colour scale set by the reference, with axes and a colour bar.
 * `samples.svg`/`.png`: the model's samples over the reference density in grey, and over the data
 * points when they are given, with a legend.
 */
export async function writeToyPictures(
  outDir: string,
  model: Distribution,
  reference: Float32Array,
  range: Range2D,
  modelSamples: Float32Array,
  dataPoints: Float32Array | null = null,
  labels: { name: string; reference: ReferenceKind } = { name: 'toy', reference: 'true density' },
  solver: SolverOptions = PICTURE_SOLVER,
): Promise<{ density: string; samples: string }> {
  const { join } = await import('node:path');
  const maximum = finiteMaximum(reference);
  const modelDensity = await densityOnGrid(model, range, PANEL, solver);
  const density = densityFigure({
    title: `${labels.name}: model density and ${labels.reference}`,
    panels: [
      { title: 'model', densities: modelDensity },
      { title: labels.reference, densities: reference },
    ],
    range,
    size: PANEL,
    maximum,
    colourTitle: 'density',
  });
  const series = [
    // The data (blue) behind the model's samples (red), where the data are points rather than a density.
    ...(dataPoints ? [{ name: 'data', points: dataPoints, colour: '#1f5fd6' }] : []),
    { name: 'model samples', points: modelSamples, colour: '#c8001e' },
  ];
  const samples = pointsFigure({
    title: `${labels.name}: model samples over ${dataPoints ? 'the data' : `the ${labels.reference}`}`,
    range,
    series,
    background: { densities: reference, size: PANEL, maximum },
  });
  return {
    density: await writeFigure(join(outDir, 'density'), density, writeFileAtomic),
    samples: await writeFigure(join(outDir, 'samples'), samples, writeFileAtomic),
  };
}

/** One row of the training history: the mean loss over the last report interval, and the learning rate. */
export interface HistoryRow {
  step: number;
  loss: number;
  learningRate?: number;
}

/** `training.svg`/`.png`: the loss and the learning rate over the steps, from the history in metrics.json. */
export async function writeTrainingCurves(outDir: string, history: HistoryRow[], lossName: string): Promise<string> {
  const { join } = await import('node:path');
  const figure = curvesFigure({
    title: 'training',
    xTitle: 'step',
    panels: [
      { title: lossName, yTitle: 'nats', curves: [{ name: 'train', points: history.map((row) => ({ x: row.step, y: row.loss })) }] },
      {
        title: 'learning rate',
        yTitle: 'learning rate',
        logScale: true,
        curves: [{ name: 'learning rate', points: history.map((row) => ({ x: row.step, y: row.learningRate ?? Number.NaN })) }],
      },
    ],
  });
  return writeFigure(join(outDir, 'training'), figure, writeFileAtomic);
}
