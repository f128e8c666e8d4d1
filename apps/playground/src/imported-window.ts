import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { plotRangeAround, type Range2D } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';

/** Samples drawn to place an imported model's window, and the share of each tail left out. */
const WINDOW_SAMPLES = 4000;
const TAIL = 0.005;

/**
 * The window in which an imported model is drawn: the central 99 % of its own samples along each
 * axis, widened to hold the current data's window (the model goes on training on those data), then
 * padded as {@link plotRangeAround} pads. A model trained elsewhere (in PyTorch, or by toy-flow on
 * other data) lives wherever its data lived; drawn in the current data's window alone it can be a
 * blank square. Quantiles, not the samples' bounding box, so that one far draw of a heavy tail does
 * not shrink the picture to a dot. Non-finite samples are left out; with none finite, the data's window.
 */
export function importedWindow(model: Distribution, dataWindow: Range2D, seed: number): Range2D {
  const samples = tf.tidy(() => model.sample(WINDOW_SAMPLES, { random: new Random(seed + 31) }).dataSync() as Float32Array);
  return quantileWindow(samples, dataWindow, TAIL);
}

/**
 * The window of interleaved 2-D points `[x0, y0, x1, y1, …]` between their `tail` and `1 − tail`
 * quantiles on each axis, joined with `dataWindow` and padded as {@link plotRangeAround} pads.
 * Non-finite points are left out; with none finite, `dataWindow`.
 */
export function quantileWindow(points: Float32Array, dataWindow: Range2D, tail: number): Range2D {
  const axes: number[][] = [[], []];
  for (let i = 0; i + 1 < points.length; i += 2)
    if (Number.isFinite(points[i]) && Number.isFinite(points[i + 1])) {
      axes[0].push(points[i]);
      axes[1].push(points[i + 1]);
    }
  if (axes[0].length === 0) return dataWindow;
  const [[xLow, xHigh], [yLow, yHigh]] = axes.map((values) => {
    values.sort((a, b) => a - b);
    const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
    return [at(tail), at(1 - tail)];
  });
  // The corners of both boxes, as points: plotRangeAround pads their bounding box.
  const [[dxLow, dxHigh], [dyLow, dyHigh]] = dataWindow;
  return plotRangeAround([xLow, yLow, xHigh, yHigh, dxLow, dyLow, dxHigh, dyHigh]);
}
