import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import type { ContinuousFlow } from '@flows/continuous';
import { gridPoints, type Range2D } from '@flows/datasets';
import { pictureSolver } from './continuous-model.js';
import { quantileWindow } from './imported-window.js';

/**
 * What the vector-field view of a continuous flow draws: the field `v(x, t)` as arrows on a coarse
 * grid and particles from the base carried along the ODE to the data, at a series of times from 0
 * to 1 (the page animates them, or shows the time its slider picks).
 */
export interface FieldViews {
  /** The frames' times, 0 = the base, 1 = the data side. */
  times: number[];
  /** Per frame: the particles' positions (interleaved x, y); frame 0 is a draw of the base. */
  particles: Float32Array[];
  /** The arrows' tails: the centres of a `gridSize` × `gridSize` grid over the window (raster order of `gridPoints`). */
  arrowPoints: Float32Array;
  /** Per frame: `v(x, t)` at the arrows' tails at that frame's time. */
  velocities: Float32Array[];
  gridSize: number;
  /** The window: the data's, widened to hold the base's particles (an N(0, I) base lives beyond a toy's window). */
  window: Range2D;
}

/** Options of {@link fieldViews}. */
export interface FieldViewOptions {
  /** Particles drawn from the base (a few hundred keep the view cheap beside training). */
  particles: number;
  /** RK4 steps from 0 to 1, one per frame: `steps + 1` frames. */
  steps: number;
  /** Arrows along each side of the window. */
  gridSize: number;
  /** The data's window, which the view's window holds. */
  dataWindow: Range2D;
  /** Seed of the base draw: the same particles at every refresh, so that a run's views compare. */
  seed: number;
}

/** Share of the base draw left out on each side of the window (a far particle does not shrink the picture). */
const TAIL = 0.01;

/**
 * The data window widened to hold the central 98 % of the base particles, padded as
 * {@link plotRangeAround} pads: from the base draw only, so that the window stays put while the
 * model trains (the particles on their way are clipped to it).
 */
function fieldWindow(base: Float32Array, dataWindow: Range2D): Range2D {
  return quantileWindow(base, dataWindow, TAIL);
}

/**
 * The frames of the vector-field view. The particles move by one RK4 step per frame, so the last
 * frame is the flow map by RK4 with `steps` steps (the samples' solver, not the saved adaptive one);
 * the arrows are one batched evaluation of the field over every frame's time. All of it is read
 * back at once, and nothing is left on the backend.
 */
export async function fieldViews(flow: ContinuousFlow, options: FieldViewOptions): Promise<FieldViews> {
  if (flow.eventSize !== 2) throw new RangeError(`fieldViews: the vector-field view draws 2-D flows, got ${flow.eventSize}-D`);
  const { steps, gridSize } = options;
  const times = Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const step = pictureSolver(1);
  const trajectory = tf.tidy(() => {
    const frames: tf.Tensor[] = [flow.base.sample(options.particles, { random: new Random(options.seed) })];
    for (let k = 0; k < steps; k++) frames.push(flow.uncheckedTransform(frames[k], times[k], times[k + 1], undefined, step));
    return tf.stack(frames);
  });
  const flat = (await trajectory.data()) as Float32Array;
  trajectory.dispose();
  const perFrame = 2 * options.particles;
  const particles = times.map((_, k) => flat.slice(k * perFrame, (k + 1) * perFrame));
  const window = fieldWindow(particles[0], options.dataWindow);
  const arrowPoints = gridPoints(window, gridSize);
  const arrows = gridSize * gridSize;
  const velocityTensor = tf.tidy(() => {
    const grid = tf.tensor2d(arrowPoints, [arrows, 2]);
    // Every frame's grid as one batch, each row with its frame's time.
    const points = tf.tile(grid, [times.length, 1]);
    const rowTimes = tf.tensor1d(times.flatMap((t) => new Array<number>(arrows).fill(t)));
    return flow.field.apply(points, rowTimes);
  });
  const velocityValues = (await velocityTensor.data()) as Float32Array;
  velocityTensor.dispose();
  const velocities = times.map((_, k) => velocityValues.slice(2 * k * arrows, 2 * (k + 1) * arrows));
  return { times, particles, arrowPoints, velocities, gridSize, window };
}
