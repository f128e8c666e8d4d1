import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { nice, realNVP } from '../builders/flow-builders.js';
import { fit } from '../training/fit.js';
import { hasCheckpoint, loadCheckpoint, loadModel, ModelFileError, modelFiles, modelFromFiles, saveCheckpoint, saveModel } from './model-files.js';
import { Adam } from '../optimizers/adam.js';

const temp = () => mkdtempSync(join(tmpdir(), 'flows-io-'));

async function perturb(model: { trainableVariables: tf.Variable[] }, seed: number) {
  const random = new Random(seed);
  for (const v of model.trainableVariables) v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.2), v.shape)));
}

describe('save and load', () => {
  it('a loaded model gives identical log-densities (random masks included)', async () => {
    for (const model of [realNVP({ size: 6, layers: 3, hidden: [8], mask: 'random', seed: 1 }), nice({ size: 4, layers: 3, hidden: [8], seed: 2 })]) {
      await perturb(model, 3);
      const dir = temp();
      await saveModel(model, dir, { note: 'test' });
      const loaded = await loadModel(dir);
      const x = tf.randomNormal([16, model.eventShape[0]], 0, 1, 'float32', 4);
      expect(Array.from(loaded.logProb(x).dataSync())).toEqual(Array.from(model.logProb(x).dataSync()));
      // Saving again replaces the weights file and leaves no stale one behind.
      await perturb(model, 5);
      await saveModel(model, dir);
      expect(readdirSync(dir).filter((f) => f.endsWith('.bin')).length).toBe(1);
      expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    }
  });

  it('missing, corrupt, or incompatible files get clear errors', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4] });
    await expect(loadModel('/nonexistent/model')).rejects.toThrow(/model directory not found/);
    const dir = temp();
    await expect(loadModel(dir)).rejects.toThrow(/model\.json not found/);
    const json = await saveModel(model, dir);
    writeFileSync(join(dir, 'model.json'), '{"format": "flows-model", ');
    await expect(loadModel(dir)).rejects.toThrow(/not valid JSON.*corrupt/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, formatVersion: 99 }));
    await expect(loadModel(dir)).rejects.toThrow(/format version 99/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const weightsPath = join(dir, json.weights.file);
    const bytes = readFileSync(weightsPath);
    writeFileSync(weightsPath, bytes.subarray(0, bytes.length - 4));
    await expect(loadModel(dir)).rejects.toThrow(ModelFileError);
    await expect(loadModel(dir)).rejects.toThrow(/truncated or corrupt/);
  });
});

describe('model files by name (a browser download or a drop)', () => {
  it('are byte for byte what saveModel writes, and read back to the same log-densities', async () => {
    const model = realNVP({ size: 2, layers: 3, hidden: [8], seed: 6 });
    await perturb(model, 7);
    const dir = temp();
    const saved = await saveModel(model, dir, { app: 'test' });
    const { json, files } = await modelFiles(model, { app: 'test' });
    expect(json).toEqual(saved);
    expect(Object.keys(files).sort()).toEqual(
      readdirSync(dir)
        .filter((f) => f === 'model.json' || f.endsWith('.bin'))
        .sort(),
    );
    expect(files['model.json']).toBe(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(Buffer.from(files[json.weights.file] as Uint8Array).equals(readFileSync(join(dir, json.weights.file)))).toBe(true);
    const asBytes = { 'model.json': new TextEncoder().encode(files['model.json'] as string), [json.weights.file]: files[json.weights.file] };
    const x = tf.randomNormal([8, 2], 0, 1, 'float32', 8);
    for (const given of [files, asBytes]) {
      const loaded = modelFromFiles(given);
      expect(Array.from(loaded.logProb(x).dataSync())).toEqual(Array.from(model.logProb(x).dataSync()));
      loaded.dispose();
    }
  });

  it('name what is missing or wrong', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4] });
    const { json, files } = await modelFiles(model);
    const weights = files[json.weights.file] as Uint8Array;
    expect(() => modelFromFiles({ [json.weights.file]: weights })).toThrow(/model\.json: not among the files given \(weights-/);
    expect(() => modelFromFiles({ 'model.json': files['model.json'] })).toThrow(/weights file not among the files given/);
    expect(() => modelFromFiles({ 'model.json': '{"format": ', [json.weights.file]: weights })).toThrow(/not valid JSON/);
    expect(() => modelFromFiles({ 'model.json': '{"format": "other"}' })).toThrow(/not a flows model file/);
    expect(() => modelFromFiles({ ...files, [json.weights.file]: weights.subarray(4) })).toThrow(/truncated or corrupt/);
  });
});

describe('checkpoints', () => {
  it('resuming from a checkpoint continues exactly like an uninterrupted run', async () => {
    const data = tf.randomNormal([400, 3], 0, 1, 'float32', 7);
    const settings = { batchSize: 50, reportEvery: 4, learningRate: 5e-3 };

    const straight = realNVP({ size: 3, layers: 2, hidden: [8], seed: 8 });
    const random = new Random(9);
    const full = await fit(straight, data, { ...settings, epochs: 4, random });

    const first = realNVP({ size: 3, layers: 2, hidden: [8], seed: 8 });
    const firstRandom = new Random(9);
    const dir = temp();
    const part = await fit(first, data, { ...settings, epochs: 2, random: firstRandom });
    await saveCheckpoint(dir, { model: first, optimizerState: part.optimizer.getState(), randomState: firstRandom.getState(), epoch: 2, extra: { note: 1 } });
    expect(await hasCheckpoint(dir)).toBe(true);

    const checkpoint = await loadCheckpoint(dir);
    const optimizer = new Adam(checkpoint.model.trainableVariables, { learningRate: settings.learningRate });
    optimizer.setState(checkpoint.optimizerState);
    const resumed = await fit(checkpoint.model, data, {
      ...settings,
      epochs: 2,
      random: Random.fromState(checkpoint.randomState),
      optimizer,
      initialEpoch: checkpoint.epoch,
    });
    const tail = full.history.slice(part.history.length);
    expect(resumed.history.map((h) => h.step)).toEqual(tail.map((h) => h.step));
    resumed.history.forEach((h, i) => expect(Math.abs(h.loss - tail[i].loss)).toBeLessThan(1e-6));
    expect(checkpoint.extra).toEqual({ note: 1 });
  });

  it('a corrupt checkpoint is reported', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'checkpoint.json'), 'garbage');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint\.json: is not valid JSON/);
  });
});
