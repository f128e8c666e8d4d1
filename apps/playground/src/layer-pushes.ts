import * as tf from '@tensorflow/tfjs-core';
import { Chain } from '@flows/bijectors';
import type { Bijector } from '@flows/core';

/** The layers of a flow's bijector, base side first (the order forward applies them). */
export function flowLayers(bijector: Bijector): Bijector[] {
  return bijector instanceof Chain ? [...bijector.bijectors] : [bijector];
}

/**
 * Lines of a square grid in the base space, `[-extent, extent]²`: `lines` horizontal and `lines`
 * vertical, each sampled at `pointsPerLine` points; interleaved (x, y), one line after another.
 */
export function baseGridLines(lines = 13, pointsPerLine = 61, extent = 3): Float32Array {
  const points = new Float32Array(2 * 2 * lines * pointsPerLine);
  let k = 0;
  for (const vertical of [false, true]) {
    for (let line = 0; line < lines; line++) {
      const fixed = -extent + (2 * extent * line) / (lines - 1);
      for (let i = 0; i < pointsPerLine; i++) {
        const moving = -extent + (2 * extent * i) / (pointsPerLine - 1);
        points[k++] = vertical ? fixed : moving;
        points[k++] = vertical ? moving : fixed;
      }
    }
  }
  return points;
}

/**
 * Base points pushed through the layers in the forward (sampling) direction: stage 0 is the base
 * points themselves, stage k the points after layers 1…k, and the last stage the data side.
 */
export async function pushForward(layers: readonly Bijector[], basePoints: Float32Array): Promise<Float32Array[]> {
  const stages: Float32Array[] = [basePoints];
  let current = tf.tensor2d(basePoints, [basePoints.length / 2, 2]);
  for (const layer of layers) {
    const next = layer.forward(current) as tf.Tensor2D;
    current.dispose();
    current = next;
    stages.push((await current.data()) as Float32Array);
  }
  current.dispose();
  return stages;
}

/**
 * A data point's path back to the base through the inverse of each layer (the density direction):
 * entry k is where the point sits after layers 1…k, so entry `layers.length` is the point itself
 * and entry 0 its base coordinates. Each entry lies in the same space as stage k of {@link pushForward}.
 */
export async function pathToBase(layers: readonly Bijector[], point: [number, number]): Promise<[number, number][]> {
  const path: [number, number][] = new Array(layers.length + 1);
  path[layers.length] = [point[0], point[1]];
  let current = tf.tensor2d([point], [1, 2]);
  for (let k = layers.length - 1; k >= 0; k--) {
    const previous = layers[k].inverse(current) as tf.Tensor2D;
    current.dispose();
    current = previous;
    const values = await current.data();
    path[k] = [values[0], values[1]];
  }
  current.dispose();
  return path;
}
