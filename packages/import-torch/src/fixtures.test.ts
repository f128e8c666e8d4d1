// The flows that zuko, nflows and normflows trained (fixtures/make_fixtures.py), imported and
// compared with the libraries' own log-densities and base-to-data maps at the recorded points.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, saveModel } from '@flows/model-files';
import { describe, expect, it } from 'vitest';
import { importTorchFlow } from './import-flow.js';
import { baseToData, fixtureNames, largestRelativeError, readFixture } from './test-support.js';

/** The goals: log-densities to 1e-5 relative, samples from fixed base points to 1e-4. */
const LOG_PROB_TOLERANCE = 1e-5;
const SAMPLE_TOLERANCE = 1e-4;

describe.each(fixtureNames())('%s', (name) => {
  const { weights, description, expected } = readFixture(name);

  it('imports with the library’s own log-densities at every input and context, and its samples from fixed base points', () => {
    const before = tf.memory().numTensors;
    const { model, origin } = importTorchFlow(weights, description);
    expect(origin.library).toBe(expected.library);
    expect(model.eventShape).toEqual([expected.features]);
    expect(model.contextSize).toBe(expected.context);
    const x = tf.tensor2d(expected.inputs);
    const context = expected.contexts ? tf.tensor2d(expected.contexts) : undefined;
    const logProb = model.logProb(x, context);
    const values = logProb.dataSync();
    expect(largestRelativeError(values, expected.logProb64), 'log-density against the library in float64').toBeLessThanOrEqual(LOG_PROB_TOLERANCE);
    // Against the library's own float32 run, each point may also differ by that run's own rounding (its distance from float64).
    const ownRounding = expected.logProb32.map((v, i) => Math.abs(v - expected.logProb64[i]) / Math.max(1, Math.abs(expected.logProb64[i])));
    values.forEach((v, i) =>
      expect(Math.abs(v - expected.logProb32[i]) / Math.max(1, Math.abs(expected.logProb32[i])), `float32 log-density at ${i}`).toBeLessThanOrEqual(
        LOG_PROB_TOLERANCE + ownRounding[i],
      ),
    );
    const noise = tf.tensor2d(expected.basePoints);
    const samples = baseToData(model, noise, context);
    expect(largestRelativeError(samples.dataSync(), expected.samples64.flat()), 'samples against the library in float64').toBeLessThanOrEqual(SAMPLE_TOLERANCE);
    const sampleRounding = largestRelativeError(expected.samples32.flat(), expected.samples64.flat());
    expect(largestRelativeError(samples.dataSync(), expected.samples32.flat()), 'samples against the library in float32').toBeLessThanOrEqual(
      SAMPLE_TOLERANCE + sampleRounding,
    );
    tf.dispose([x, context, logProb, noise, samples]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves as this project’s model files and loads back with the same densities', async () => {
    const { model } = importTorchFlow(weights, description);
    const directory = mkdtempSync(join(tmpdir(), 'flows-import-fixture-'));
    await saveModel(model, directory);
    const loaded = await loadModel(directory);
    rmSync(directory, { recursive: true, force: true });
    const x = tf.tensor2d(expected.inputs.slice(0, 8));
    const context = expected.contexts ? tf.tensor2d(expected.contexts.slice(0, 8)) : undefined;
    const [a, b] = [model.logProb(x, context), loaded.logProb(x, context)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, context, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
