import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nice, realNVP } from '@flows/builders';
import { fit } from '@flows/training';
import {
  deserializeModel,
  hasCheckpoint,
  loadCheckpoint,
  loadModel,
  loadModelFromUrl,
  ModelFileError,
  modelFiles,
  modelFromFiles,
  saveCheckpoint,
  saveModel,
  validateModelFile,
} from '@flows/model-files';
import { Adam } from '@flows/optimizers';

const temp = () => mkdtempSync(join(tmpdir(), 'flows-io-'));
const DEAD = 2 ** 22 + 12345; // above every pid_max: no such process

// The description checksum, computed here independently of the library: SHA-256 (hex) of the JSON
// with every object's keys sorted, over the whole description but the checksum itself.
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
// biome-ignore lint/suspicious/noExplicitAny: edited JSON of any shape
function sealed(json: any): any {
  const { descriptionChecksum: _old, ...rest } = json;
  return { ...rest, descriptionChecksum: createHash('sha256').update(canonical(rest)).digest('hex') };
}

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

  it('at half precision: half the bytes, and the loaded model is the one whose weights were rounded to float16', async () => {
    const model = realNVP({ size: 6, layers: 3, hidden: [8], seed: 11 });
    await perturb(model, 12);
    const [full, half] = [temp(), temp()];
    await saveModel(model, full);
    const json = await saveModel(model, half, undefined, { precision: 'float16' });
    expect(json.weights.specs.every((s) => s.dtype === 'float16')).toBe(true);
    const size = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.bin'))
        .map((f) => readFileSync(join(dir, f)).length)[0];
    expect(size(half) * 2).toBe(size(full));
    const loaded = await loadModel(half);
    // The same model with each weight rounded to float16 through the standard's definition, in float64.
    const rounded = await loadModel(full);
    for (const v of rounded.variables) {
      const values = Array.from(v.dataSync(), (x) => {
        const e = Math.max(Math.floor(Math.log2(Math.abs(x) || 2 ** -24)), -14);
        const unit = 2 ** (e - 10);
        const q = x / unit;
        const r = Math.round(q);
        return (Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r) * unit;
      });
      v.assign(tf.tensor(values, v.shape));
    }
    const x = tf.randomNormal([16, 6], 0, 1, 'float32', 4);
    expect(Array.from(loaded.logProb(x).dataSync())).toEqual(Array.from(rounded.logProb(x).dataSync()));
    // Close to the float32 model, not equal to it.
    const gap = tf.max(tf.abs(tf.sub(loaded.logProb(x), model.logProb(x)))).dataSync()[0];
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(0.05);
    // The browser's path (files by name) reads it the same.
    const { files } = await modelFiles(model, undefined, { precision: 'float16' });
    expect(Array.from(modelFromFiles(files).logProb(x).dataSync())).toEqual(Array.from(loaded.logProb(x).dataSync()));
    await expect(saveModel(model, temp(), undefined, { precision: 'float64' as 'float16' })).rejects.toThrow(/weights are saved as float32 or float16/);
    // An odd number of half values (a file of 2 mod 4 bytes), mixed with float32 tensors by a per-variable choice, loads back.
    const odd = nice({ size: 3, layers: 1, hidden: [3], seed: 4 });
    const oddDir = temp();
    const mixed = await saveModel(odd, oddDir, undefined, { precision: (_variable, i) => (i % 2 === 0 ? 'float16' : 'float32') });
    expect(mixed.weights.specs.map((s) => s.dtype)).toEqual(odd.variables.map((_, i) => (i % 2 === 0 ? 'float16' : 'float32')));
    expect(size(oddDir) % 4).toBe(2);
    const oddLoaded = await loadModel(oddDir);
    const y = tf.randomNormal([4, 3], 0, 1, 'float32', 6);
    const gapOdd = tf.max(tf.abs(tf.sub(oddLoaded.logProb(y), odd.logProb(y)))).dataSync()[0];
    expect(gapOdd).toBeLessThan(0.05);
    y.dispose();
    odd.dispose();
    oddLoaded.dispose();
    x.dispose();
    for (const m of [model, loaded, rounded]) m.dispose();
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

describe("saveModel's folder rule", () => {
  it('removes only the files that the previous model.json named, and only its own temporary files of dead processes', async () => {
    const root = temp();
    const dir = join(root, 'model');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(root, 'important.bin'), 'outside');
    const users = ['firmware.bin', 'weights-0123abcd.bin', `notes.txt.tmp-${DEAD}-2`, `firmware.bin.tmp-${DEAD}-1`, `model.json.tmp-${process.pid}-9`];
    for (const name of users) writeFileSync(join(dir, name), 'mine');
    writeFileSync(join(dir, 'sub', `model.json.tmp-${DEAD}-1`), 'mine');
    // Left by a save that was killed: removed.
    writeFileSync(join(dir, `model.json.tmp-${DEAD}-1700000000000`), '{');
    writeFileSync(join(dir, `weights-89abcdef.bin.tmp-${DEAD}-3`), 'x');
    // A previous model.json crafted to name files that are not this library's, or outside the folder.
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'flows-model', weights: { file: '../important.bin' } }));
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 1 });
    const first = await saveModel(model, dir);
    await perturb(model, 2);
    const second = await saveModel(model, dir);
    expect(second.weights.file).not.toBe(first.weights.file);
    expect(readFileSync(join(root, 'important.bin'), 'utf8')).toBe('outside');
    expect(readdirSync(dir).sort()).toEqual([...users, 'model.json', second.weights.file, 'sub'].sort());
    expect(readdirSync(join(dir, 'sub'))).toEqual([`model.json.tmp-${DEAD}-1`]);
    for (const name of users) expect(readFileSync(join(dir, name), 'utf8')).toBe('mine');
    model.dispose();
  });

  it("a model and a checkpoint in one folder: neither save removes the other's files", async () => {
    const dir = temp();
    writeFileSync(join(dir, 'firmware.bin'), 'mine');
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 3 });
    const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
    const checkpoint = () => saveCheckpoint(dir, { model, optimizerState: optimizer.getState(), randomState: new Random(1).getState(), epoch: 1 });
    await checkpoint();
    await perturb(model, 4);
    await saveModel(model, dir);
    await perturb(model, 5);
    await checkpoint();
    await checkpoint(); // the same files again: nothing of them removed
    const loaded = await loadCheckpoint(dir);
    loaded.model.dispose();
    (await loadModel(dir)).dispose();
    expect(readFileSync(join(dir, 'firmware.bin'), 'utf8')).toBe('mine');
    // The first checkpoint's weights went when the second replaced it: what the two files name is left.
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const checkpointJson = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    const named = new Set([modelJson.weights.file, checkpointJson.model.weights.file, checkpointJson.optimizer.file, 'firmware.bin']);
    expect(
      readdirSync(dir)
        .filter((name) => name.endsWith('.bin'))
        .sort(),
    ).toEqual([...named].sort());
    model.dispose();
  });
});

describe('the description checksum', () => {
  const coupling = ['model', 'config', 'bijector', 'config', 'bijectors', 0, 'config'];
  // biome-ignore lint/suspicious/noExplicitAny: edited JSON of any shape
  const at = (json: any, path: (string | number)[]) => path.reduce((node, key) => node[key], json);
  // biome-ignore lint/suspicious/noExplicitAny: edited JSON of any shape
  const edits: [string, (json: any) => void][] = [
    ['scaleTanh', (json) => (at(json, coupling).scaleTanh = !at(json, coupling).scaleTanh)],
    ['an activation', (json) => (at(json, [...coupling, 'scale', 'config']).activation = 'tanh')],
    ['a mask', (json) => (at(json, coupling).mask = at(json, coupling).mask.map((m: number) => 1 - m))],
    ['a seed', (json) => (at(json, [...coupling, 'scale', 'config']).seed += 1)],
    ['the metadata', (json) => (json.metadata.app = 'other')],
    ['a weight spec', (json) => json.weights.specs.reverse()],
  ];

  afterEach(() => vi.unstubAllGlobals());

  it('refuses model.json with any setting changed (loadModel, modelFromFiles, deserializeModel, loadModelFromUrl); re-indenting is harmless', async () => {
    const model = realNVP({ size: 2, layers: 2, hidden: [4], seed: 3 });
    await perturb(model, 4);
    const dir = temp();
    await saveModel(model, dir, { app: 'test' });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = new Uint8Array(readFileSync(join(dir, json.weights.file)));
    // Keys in another order, other indentation: the same description.
    const reordered = Object.fromEntries(Object.entries(json).reverse());
    writeFileSync(join(dir, 'model.json'), JSON.stringify(reordered, null, 4));
    const x = tf.randomNormal([8, 2], 0, 1, 'float32', 5);
    const reloaded = await loadModel(dir);
    expect(Array.from(reloaded.logProb(x).dataSync())).toEqual(Array.from(model.logProb(x).dataSync()));
    reloaded.dispose();
    const served: Record<string, Uint8Array | string> = { [json.weights.file]: weights };
    vi.stubGlobal('fetch', async (url: string) => {
      const body = served[url.slice('https://models.test/m/'.length)];
      return body === undefined ? new Response(null, { status: 404 }) : new Response(body as unknown as BodyInit);
    });
    for (const [what, edit] of edits) {
      const edited = structuredClone(json);
      edit(edited);
      const text = JSON.stringify(edited);
      const refused = /description checksum/;
      writeFileSync(join(dir, 'model.json'), text);
      await expect(loadModel(dir), what).rejects.toThrow(refused);
      expect(() => modelFromFiles({ 'model.json': text, [json.weights.file]: weights }), what).toThrow(refused);
      expect(() => deserializeModel(edited, weights), what).toThrow(refused);
      expect(() => validateModelFile(edited, 'model.json'), what).toThrow(refused);
      served['model.json'] = text;
      await expect(loadModelFromUrl('https://models.test/m'), what).rejects.toThrow(refused);
    }
    model.dispose();
  });

  it('refuses a file without it, and a file of format version 1, naming why', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4] });
    const dir = temp();
    const json = await saveModel(model, dir);
    const { descriptionChecksum: _removed, ...without } = json as typeof json & { descriptionChecksum: string };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(without));
    await expect(loadModel(dir)).rejects.toThrow(/has no description checksum.*edited or was not written by saveModel/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...without, formatVersion: 1 }));
    await expect(loadModel(dir)).rejects.toThrow(/format version 1.*did not cover the model's settings.*save it again/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(sealed({ ...without, formatVersion: 1 })));
    await expect(loadModel(dir)).rejects.toThrow(/format version 1/);
    model.dispose();
  });

  it('refuses checkpoint.json with any value changed', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 2 });
    const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
    const dir = temp();
    await saveCheckpoint(dir, { model, optimizerState: optimizer.getState(), randomState: new Random(1).getState(), epoch: 3, extra: { best: 1 } });
    const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(json, null, 2));
    (await loadCheckpoint(dir)).model.dispose();
    // biome-ignore lint/suspicious/noExplicitAny: edited JSON of any shape
    const changes: [string, (json: any) => void][] = [
      ['the epoch', (j) => (j.epoch = 1)],
      ['the optimizer step', (j) => (j.optimizer.step += 1)],
      ['the extra fields', (j) => (j.extra.best = 2)],
      ['the random state', (j) => (j.random.words[0] = (j.random.words[0] ^ 1) >>> 0)],
      ['the model', (j) => (at(j.model, coupling).scaleTanh = !at(j.model, coupling).scaleTanh)],
      ['the model, sealed again', (j) => (j.model = sealed({ ...j.model, metadata: { edited: true } }))],
    ];
    for (const [what, change] of changes) {
      const edited = structuredClone(json);
      change(edited);
      writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(edited));
      await expect(loadCheckpoint(dir), what).rejects.toThrow(/checkpoint\.json.*description checksum/);
    }
    model.dispose();
  });
});

describe('names and sizes inside model.json and checkpoint.json', () => {
  it('are checked before any file is read or any memory is allocated', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 5 });
    const root = temp();
    const dir = join(root, 'model');
    const json = await saveModel(model, dir);
    writeFileSync(join(root, 'secret.bin'), readFileSync(join(dir, json.weights.file)));
    const weights = new Uint8Array(readFileSync(join(dir, json.weights.file)));
    const cases: [string, unknown, RegExp][] = [
      [
        'a path outside the folder',
        { ...json.weights, file: '../secret.bin' },
        /weights\.file '\.\.\/secret\.bin' is not a weights file name of this library \(weights-<8 hex digits>\.bin\)/,
      ],
      ['an absolute path', { ...json.weights, file: '/etc/passwd' }, /weights\.file '\/etc\/passwd' is not a weights file name/],
      ['a name of another pattern', { ...json.weights, file: 'firmware.bin' }, /weights\.file 'firmware\.bin' is not a weights file name/],
      ['a huge shape', { ...json.weights, specs: [{ shape: [1e12, 1e12], dtype: 'float32' }] }, /weights\.specs\[0\].*shape/],
      ['a negative size', { ...json.weights, specs: [{ shape: [-1], dtype: 'float32' }] }, /weights\.specs\[0\].*shape/],
      [
        'specs that do not add up to the weights',
        { ...json.weights, specs: json.weights.specs.slice(1) },
        /weights\.specs hold \d+ values in \d+ bytes, but the weights checksum says \d+ bytes/,
      ],
      ['a huge length', { ...json.weights, checksum: `${json.weights.checksum.split('-')[0]}-99999999999999999` }, /weights checksum/],
      ['another dtype', { ...json.weights, specs: json.weights.specs.map((s) => ({ ...s, dtype: 'int32' })) }, /dtype/],
    ];
    for (const [what, entry, message] of cases) {
      const edited = sealed({ ...json, weights: entry });
      writeFileSync(join(dir, 'model.json'), JSON.stringify(edited));
      await expect(loadModel(dir), what).rejects.toThrow(message);
      expect(() => modelFromFiles({ 'model.json': JSON.stringify(edited), [String((entry as { file: string }).file)]: weights }), what).toThrow(message);
    }
    writeFileSync(join(dir, 'model.json'), JSON.stringify(sealed({ ...json, metadata: 'text' })));
    await expect(loadModel(dir)).rejects.toThrow(/metadata must be an object/);
    model.dispose();
  });

  it('checkpoint.json: the optimizer file name, its sizes, the step and the epoch', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 2 });
    const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
    const root = temp();
    const dir = join(root, 'checkpoint');
    await saveCheckpoint(dir, { model, optimizerState: optimizer.getState(), randomState: new Random(1).getState(), epoch: 3 });
    const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    writeFileSync(join(root, 'secret.bin'), readFileSync(join(dir, json.optimizer.file)));
    const cases: [string, unknown, RegExp][] = [
      [
        'a path outside the folder',
        { ...json, optimizer: { ...json.optimizer, file: '../secret.bin' } },
        /optimizer\.file '\.\.\/secret\.bin' is not an optimizer file name/,
      ],
      [
        'the weights file as optimizer',
        { ...json, optimizer: { ...json.optimizer, file: json.model.weights.file } },
        /optimizer\.file .* is not an optimizer file name/,
      ],
      ['huge sizes', { ...json, optimizer: { ...json.optimizer, sizes: [1e15] } }, /optimizer\.sizes/],
      ['sizes that do not add up', { ...json, optimizer: { ...json.optimizer, sizes: json.optimizer.sizes.slice(1) } }, /optimizer\.sizes/],
      ['a fractional step', { ...json, optimizer: { ...json.optimizer, step: 1.5 } }, /optimizer\.step/],
      ['a negative epoch', { ...json, epoch: -1 }, /epoch/],
      ['a random state of another shape', { ...json, random: { words: [1] } }, /random/],
      [
        'a model whose weights file is outside',
        { ...json, model: sealed({ ...json.model, weights: { ...json.model.weights, file: '../secret.bin' } }) },
        /weights\.file '\.\.\/secret\.bin'/,
      ],
    ];
    for (const [what, edited, message] of cases) {
      writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(sealed(edited)));
      await expect(loadCheckpoint(dir), what).rejects.toThrow(message);
    }
    model.dispose();
  });
});
