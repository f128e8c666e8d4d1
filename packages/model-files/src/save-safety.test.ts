import { mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain, MaskedAffineCoupling } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from './model-files.js';

const temp = () => mkdtempSync(join(tmpdir(), 'flows-save-'));

/** A one-layer flow of the kind `realNVP({ size: 2, layers: 1, hidden: [4] })` builds, made of the packages below this one. */
const tinyFlow = () => new TransformedDistribution(new StandardNormal(2), new Chain([new MaskedAffineCoupling({ mask: [1, 0], hidden: [4], seed: 1 })]));

describe('saving and loading, nothing lost', () => {
  it('refuses a model.json without its checksum, a non-finite weight, and names a format version given as a string', async () => {
    const dir = temp();
    const model = tinyFlow();
    const json = await saveModel(model, dir);
    const { checksum: _removed, ...weightsWithoutChecksum } = json.weights;
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, weights: weightsWithoutChecksum }));
    await expect(loadModel(dir)).rejects.toThrow(/has no valid weights checksum/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, formatVersion: '1' }));
    await expect(loadModel(dir)).rejects.toThrow(/formatVersion must be a number, found the string "1"/);
    // A NaN weight with checksums that match it (as if saved from a broken run by another tool).
    const { checksum } = await import('./model-files.js');
    const saved = readFileSync(join(dir, json.weights.file)); // a view into Node's shared pool: copy its own bytes only
    const weights = new Float32Array(saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.byteLength));
    weights[3] = Number.NaN;
    const bytes = new Uint8Array(weights.buffer);
    writeFileSync(join(dir, json.weights.file), bytes);
    const { sealDescription } = await import('./model-description.js');
    writeFileSync(join(dir, 'model.json'), JSON.stringify(sealDescription({ ...json, weights: { ...json.weights, checksum: checksum(bytes) } })));
    await expect(loadModel(dir)).rejects.toThrow(/weight 3 of \d+ is NaN/);
    model.dispose();
  });
});

describe('write errors name the file being written', () => {
  it('a target that cannot be replaced is named, not only the temporary file', async () => {
    const { writeFileAtomic } = await import('./model-files.js');
    const dir = temp();
    mkdirSync(join(dir, 'model.json'));
    const error = await writeFileAtomic(join(dir, 'model.json'), '{}').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${join(dir, 'model.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*is a directory`));
    expect((error as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(readdirSync(dir)).toEqual(['model.json']);
    expect(existsSync(join(dir, 'model.json', 'x'))).toBe(false);
  });
});
