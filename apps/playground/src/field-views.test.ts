import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { ContinuousFlow, MLPVectorField } from '@flows/continuous';
import { gridPoints, type Range2D } from '@flows/datasets';
import { selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { playgroundContinuousFlow } from './continuous-model.js';
import { fieldViews } from './field-views.js';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

/** A continuous flow whose field is not zero (a fresh field starts at 0: its last layer is zeroed). */
function movingFlow(): ContinuousFlow {
  const flow = playgroundContinuousFlow({ hidden: [16, 16], seed: 5 });
  const random = new Random(9);
  for (const v of flow.trainableVariables) v.assign(tf.tidy(() => tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.5), v.shape))));
  return flow;
}

const unitSquare: Range2D = [
  [0, 1],
  [0, 1],
];

describe('the vector-field view of a continuous flow', () => {
  it('carries base particles along the ODE frame by frame to the flow map, with the field at each frame on a grid, and leaks nothing', async () => {
    const flow = movingFlow();
    const before = tf.memory().numTensors;
    const views = await fieldViews(flow, { particles: 40, steps: 8, gridSize: 5, dataWindow: unitSquare, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(views.times).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
    expect(views.particles).toHaveLength(9);
    expect(views.velocities).toHaveLength(9);
    // Frame 0 is the seeded base draw; the last frame is the flow map by RK4 with as many steps.
    const base = flow.base.sample(40, { random: new Random(3) });
    expect(Array.from(views.particles[0])).toEqual(Array.from(await base.data()));
    const mapped = flow.transform(base, { solver: { method: 'rk4', steps: 8 } });
    const last = views.particles[8];
    (await mapped.data()).forEach((value, k) => expect(Math.abs(value - last[k])).toBeLessThan(1e-5));
    // The particles move between frames (the field is not zero), and frame k is frame 0 moved to t_k.
    const middle = flow.transform(base, { to: 0.5, solver: { method: 'rk4', steps: 4 } });
    (await middle.data()).forEach((value, k) => expect(Math.abs(value - views.particles[4][k])).toBeLessThan(1e-5));
    expect(Math.max(...views.particles[4].map((value, k) => Math.abs(value - views.particles[0][k])))).toBeGreaterThan(0.05);
    // The arrows: v(x, t_k) at the centres of the grid over the window.
    expect(Array.from(views.arrowPoints)).toEqual(Array.from(gridPoints(views.window, 5)));
    const grid = tf.tensor2d(views.arrowPoints, [25, 2]);
    for (const k of [0, 3, 8]) {
      const v = tf.tidy(() => flow.field.apply(grid, views.times[k]));
      (await v.data()).forEach((value, i) => expect(Math.abs(value - views.velocities[k][i])).toBeLessThan(1e-6));
      v.dispose();
    }
    tf.dispose([base, mapped, middle, grid]);
    flow.dispose();
  });

  it('draws in a window that holds the data window and the central base particles, the same at every refresh', async () => {
    const flow = movingFlow();
    const options = { particles: 200, steps: 4, gridSize: 3, dataWindow: unitSquare, seed: 1 };
    const views = await fieldViews(flow, options);
    const [[x0, x1], [y0, y1]] = views.window;
    expect(x0 <= 0 && x1 >= 1 && y0 <= 0 && y1 >= 1).toBe(true);
    const base = views.particles[0];
    let inside = 0;
    for (let i = 0; i < base.length; i += 2) if (base[i] >= x0 && base[i] <= x1 && base[i + 1] >= y0 && base[i + 1] <= y1) inside++;
    expect(inside / 200).toBeGreaterThanOrEqual(0.96);
    // An N(0, I) base spreads beyond the unit square: the window is wider than the data's.
    expect(x1 - x0).toBeGreaterThan(3);
    expect((await fieldViews(flow, options)).window).toEqual(views.window);
    flow.dispose();
  });

  it('is for 2-D flows', async () => {
    const flow = new ContinuousFlow({ field: new MLPVectorField({ size: 3, hidden: [4] }) });
    await expect(fieldViews(flow, { particles: 5, steps: 2, gridSize: 2, dataWindow: unitSquare, seed: 0 })).rejects.toThrow(/2-D flows, got 3-D/);
    flow.dispose();
  });
});
