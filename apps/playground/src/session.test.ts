import * as tf from '@tensorflow/tfjs-core';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { ContinuousFlow } from '@flows/continuous';
import type { TransformedDistribution } from '@flows/distributions';
import { selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type PlaygroundSettings } from './settings.js';
import { PlaygroundInputError, PlaygroundSession } from './session.js';

const small: PlaygroundSettings = { ...DEFAULT_SETTINGS, layers: 4, hidden: [16, 16], batchSize: 200, steps: 60, learningRate: 5e-3 };

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  registerSplineBijectors();
});

describe('a playground session', () => {
  it('trains, and the same seed gives the same numbers however the steps are split', async () => {
    const straight = new PlaygroundSession(small, { kind: 'toy', name: 'two-gaussians' });
    const before = tf.memory().numTensors;
    expect(await straight.train(60)).toBe(60);
    expect(tf.memory().numTensors).toBe(before);
    const split = new PlaygroundSession(small, { kind: 'toy', name: 'two-gaussians' });
    for (const chunk of [7, 13, 1, 39]) await split.train(chunk);
    expect(await split.train(5)).toBe(0);
    expect(split.done).toBe(true);
    const points = Float32Array.from([0, 0, 1, -1, -2, 2]);
    expect(Array.from(await split.logProb(points))).toEqual(Array.from(await straight.logProb(points)));
    const kl = await straight.evaluateKl();
    expect(kl).not.toBeNull();
    expect(straight.status()).toMatchObject({ step: 60, totalSteps: 60, done: true, kl, hasExactDensity: true });
    straight.dispose();
    split.dispose();
  });

  it('shows densities on one grid, samples, and curves, and leaks no tensors doing so', async () => {
    const session = new PlaygroundSession(small, { kind: 'toy', name: 'two-moons' });
    await session.train(10);
    const before = tf.memory().numTensors;
    const views = await session.views(16, 100);
    expect(tf.memory().numTensors).toBe(before);
    expect(views.modelLogDensity.length).toBe(256);
    expect(views.referenceKind).toBe('data histogram');
    expect(views.referenceDensity.some((d) => d > 0)).toBe(true);
    expect(views.modelSamples.length).toBe(200);
    expect(views.lossCurve).toHaveLength(1);
    expect(await session.evaluateKl()).toBeNull();
    session.dispose();
  });

  it('layer by layer: the last stage is the model forward, the path back ends at the inverse, and both agree stage by stage', async () => {
    for (const flow of ['realnvp', 'nice', 'maf', 'spline'] as const) {
      const session = new PlaygroundSession({ ...small, flow }, { kind: 'toy', name: 'two-gaussians' });
      const model = session.model as TransformedDistribution;
      await session.train(5);
      const before = tf.memory().numTensors;
      const layers = await session.layerViews([0.5, -0.25], 50);
      expect(tf.memory().numTensors).toBe(before);
      const stages = layers.sampleStages;
      expect(stages).toHaveLength(layers.layerNames.length + 1);
      const base = tf.tensor2d(stages[0], [50, 2]);
      const forward = model.bijector.forward(base);
      const last = stages.at(-1)!;
      (await forward.data()).forEach((v, k) => expect(Math.abs(v - last[k])).toBeLessThan(1e-4));
      const [x0, y0] = layers.pointPath[0];
      const inverse = await model.bijector.inverse(tf.tensor2d([[0.5, -0.25]])).data();
      expect(Math.abs(x0 - inverse[0]) + Math.abs(y0 - inverse[1])).toBeLessThan(1e-4);
      // Pushing the path's base point forward visits every point of the path.
      let current = tf.tensor2d([layers.pointPath[0]]);
      const bijectors = 'bijectors' in model.bijector ? (model.bijector.bijectors as (typeof model.bijector)[]) : [model.bijector];
      for (let k = 0; k < bijectors.length; k++) {
        current = bijectors[k].forward(current) as tf.Tensor2D;
        const [x, y] = await current.data();
        expect(Math.abs(x - layers.pointPath[k + 1][0]) + Math.abs(y - layers.pointPath[k + 1][1])).toBeLessThan(1e-3);
      }
      tf.dispose([base, forward, current]);
      session.dispose();
    }
  });

  it('trains on drawn points, standardised as toy-flow does, and refuses too few', async () => {
    const points = new Float32Array(400).map((_, k) => (k % 2 === 0 ? 100 + Math.sin(k) : -50 + Math.cos(k)));
    const session = new PlaygroundSession(small, { kind: 'points', name: 'drawn', points });
    await session.train(20);
    expect(Number.isFinite(session.status().loss)).toBe(true);
    const [[x0, x1], [y0, y1]] = session.range;
    expect(x0 < 99 && x1 > 101 && y0 < -51 && y1 > -49).toBe(true);
    session.dispose();
    expect(() => new PlaygroundSession(small, { kind: 'points', name: 'drawn', points: new Float32Array(10) })).toThrow(/at least 20 points/);
  });

  it('exports the files saveModel writes and imports them back; a model that does not fit leaves the run as it was', async () => {
    const session = new PlaygroundSession(small, { kind: 'toy', name: 'two-gaussians' });
    await session.train(10);
    const files = await session.exportFiles();
    const points = Float32Array.from([0, 0, 1, 1]);
    const expected = Array.from(await session.logProb(points));
    const other = new PlaygroundSession({ ...small, flow: 'nice', seed: 4 }, { kind: 'toy', name: 'two-gaussians' });
    other.importFiles(files, 'model.json');
    expect(Array.from(await other.logProb(points))).toEqual(expected);
    expect(other.status().origin).toBe('imported from model.json');
    // A 3-D model: refused, and the run keeps its model.
    const { realNVP, modelFiles } = await import('@flows/flows');
    const threeD = realNVP({ size: 3, layers: 1, hidden: [4] });
    const { files: threeDFiles } = await modelFiles(threeD);
    expect(() => other.importFiles(threeDFiles, 'big/model.json')).toThrow(PlaygroundInputError);
    expect(() => other.importFiles(threeDFiles, 'big/model.json')).toThrow(/3-dimensional/);
    expect(Array.from(await other.logProb(points))).toEqual(expected);
    threeD.dispose();
    other.dispose();
    session.dispose();
  });

  it('a continuous flow (cnf) trains by flow matching in chunks of any size, and draws its densities and samples by the picture solver', async () => {
    const cnf: PlaygroundSettings = { ...small, flow: 'cnf', steps: 30, solverSteps: 4 };
    const straight = new PlaygroundSession(cnf, { kind: 'toy', name: 'two-gaussians' });
    expect(straight.model).toBeInstanceOf(ContinuousFlow);
    const flow = straight.model as ContinuousFlow;
    const before = tf.memory().numTensors;
    expect(await straight.train(30)).toBe(30);
    expect(tf.memory().numTensors).toBe(before);
    const split = new PlaygroundSession(cnf, { kind: 'toy', name: 'two-gaussians' });
    for (const chunk of [11, 19]) await split.train(chunk);
    const points = Float32Array.from([0.25, 0.25, 0.75, 0.75, -1, 2]);
    // The page's logProb is the saved solver's (Dormand-Prince at 1e-6), as toy-flow logprob's.
    expect(Array.from(await split.logProb(points))).toEqual(Array.from(await straight.logProb(points)));
    const status = straight.status();
    expect(status).toMatchObject({ step: 30, done: true, modelKind: 'continuous' });
    expect(Number.isFinite(status.loss) && status.loss > 0).toBe(true);
    const layered = new PlaygroundSession(small, { kind: 'toy', name: 'two-gaussians' });
    expect(straight.klEvery).toBeGreaterThan(layered.klEvery);

    const viewsBefore = tf.memory().numTensors;
    const views = await straight.views(8, 50);
    expect(tf.memory().numTensors).toBe(viewsBefore);
    // The grid's densities: RK4 with the run's 4 steps and the exact trace.
    const grid = tf.tensor2d((await import('@flows/datasets')).gridPoints(straight.range, 8), [64, 2]);
    const expected = flow.logProbWith(grid, { solver: { method: 'rk4', steps: 4 }, trace: { estimator: 'exact' } });
    (await expected.data()).forEach((value, k) => expect(Math.abs(value - views.modelLogDensity[k])).toBeLessThan(1e-5));
    // Samples: the seeded base draw carried by the same solver.
    const { Random } = await import('@flows/core');
    const base = flow.base.sample(50, { random: new Random(cnf.seed + 99) });
    const carried = flow.transform(base, { solver: { method: 'rk4', steps: 4 } });
    (await carried.data()).forEach((value, k) => expect(Math.abs(value - views.modelSamples[k])).toBeLessThan(1e-5));
    tf.dispose([grid, expected, base, carried]);

    const kl = await straight.evaluateKl();
    expect(kl !== null && Number.isFinite(kl)).toBe(true);
    expect(tf.memory().numTensors).toBe(viewsBefore);
    const field = await straight.fieldViews();
    expect(field.times).toHaveLength(33);
    expect(field.particles[0]).toHaveLength(600);
    expect(field.velocities[0]).toHaveLength(2 * 15 * 15);
    expect(tf.memory().numTensors).toBe(viewsBefore);
    await expect(straight.layerViews([0, 0])).rejects.toThrow(/no layers/);
    await expect(split.fieldViews()).resolves.toBeDefined();
    await expect(layered.fieldViews()).rejects.toThrow(/continuous flows/);
    for (const session of [straight, split, layered]) session.dispose();
  });

  it('refuses a continuous flow on drawn points, as toy-flow refuses CSV data for --flow cnf', () => {
    const points = new Float32Array(400).map((_, k) => Math.sin(k));
    expect(() => new PlaygroundSession({ ...small, flow: 'cnf' }, { kind: 'points', name: 'mine.csv', points })).toThrow(PlaygroundInputError);
    expect(() => new PlaygroundSession({ ...small, flow: 'cnf' }, { kind: 'points', name: 'mine.csv', points })).toThrow(
      /mine\.csv: the continuous flow \(cnf\) trains on the built-in toys/,
    );
  });

  it('exports a continuous flow and imports it into a run of another flow, which then shows the vector-field view', async () => {
    const session = new PlaygroundSession({ ...small, flow: 'cnf', hidden: [8] }, { kind: 'toy', name: 'two-gaussians' });
    await session.train(10);
    const files = await session.exportFiles();
    expect(JSON.parse(files['model.json'] as string).model.className).toBe('ContinuousFlow');
    const points = Float32Array.from([0, 0, 1, 1]);
    const expected = Array.from(await session.logProb(points));
    const other = new PlaygroundSession(small, { kind: 'toy', name: 'two-gaussians' });
    expect(other.status().modelKind).toBe('layered');
    other.importFiles(files, 'model.json');
    expect(Array.from(await other.logProb(points))).toEqual(expected);
    expect(other.status()).toMatchObject({ modelKind: 'continuous', origin: 'imported from model.json' });
    await expect(other.fieldViews()).resolves.toBeDefined();
    other.dispose();
    session.dispose();
  });
});
