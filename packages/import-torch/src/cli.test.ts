// The flows-import command, run as a user runs it (the built dist/cli.js in a child process).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { loadModel } from '@flows/model-files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largestRelativeError, readFixture, FIXTURES } from './test-support.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const scratch = mkdtempSync(join(tmpdir(), 'flows-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('flows-import', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm --filter @flows/import-torch build first`);
  });

  it('writes model files that loadModel reads, with the library’s densities', async () => {
    const out = join(scratch, 'zuko-nsf');
    const result = run(join(FIXTURES, 'zuko-nsf', 'flow.safetensors'), '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/imported zuko\.flows\.spline\.NSF \(zuko 1\.6\.0\): 2 features/);
    expect(result.stdout).toMatch(/uses only the classes of @flows\/bijectors/);
    // As the apps load models: with the spline plugin registered, without this package's classes.
    registerSplineBijectors();
    const model = await loadModel(out);
    const { expected } = readFixture('zuko-nsf');
    const x = tf.tensor2d(expected.inputs);
    const logProb = model.logProb(x);
    expect(largestRelativeError(logProb.dataSync(), expected.logProb64)).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, logProb]);
    model.dispose();
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).metadata.importedFrom).toMatchObject({ library: 'zuko', libraryVersion: '1.6.0' });
  });

  it('says which models need registerTorchImport, and takes the description by flag', () => {
    const out = join(scratch, 'nflows-maf');
    const result = run(
      '--weights',
      join(FIXTURES, 'nflows-maf', 'flow.safetensors'),
      '--architecture',
      join(FIXTURES, 'nflows-maf', 'flow.json'),
      '--out',
      out,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/call registerTorchImport\(\) before loadModel/);
  });

  it('refuses what it cannot import exactly, naming the class, and writes nothing', () => {
    const { description } = readFixture('normflows-affine-coupling-block');
    (description as { transforms: { scaleMap: string }[] }).transforms[0].scaleMap = 'sigmoid';
    const edited = join(scratch, 'glow.json');
    writeFileSync(edited, JSON.stringify(description));
    const out = join(scratch, 'refused');
    const result = run(join(FIXTURES, 'normflows-affine-coupling-block', 'flow.safetensors'), '--architecture', edited, '--out', out);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: normflows\.AffineCouplingBlock: scale_map 'sigmoid'/);
    expect(existsSync(out)).toBe(false);
  });

  it('leaves files it did not make alone, and replaces a model only with --overwrite', () => {
    const out = join(scratch, 'occupied');
    run(join(FIXTURES, 'zuko-maf', 'flow.safetensors'), '--out', out);
    const again = run(join(FIXTURES, 'zuko-nsf', 'flow.safetensors'), '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds a model .*--overwrite to replace it/);
    expect(run(join(FIXTURES, 'zuko-nsf', 'flow.safetensors'), '--out', out, '--overwrite').status).toBe(0);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const foreign = run(join(FIXTURES, 'zuko-nsf', 'flow.safetensors'), '--out', out, '--overwrite');
    expect(foreign.status).toBe(2);
    expect(foreign.stderr).toMatch(/holds files that are not a flows model \(notes\.txt\)/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('names missing files and flags', () => {
    expect(run('--out', join(scratch, 'x')).stderr).toMatch(/give the safetensors file/);
    const missing = run(join(scratch, 'none.safetensors'), '--out', join(scratch, 'y'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/none\.safetensors: weights file not found/);
    expect(run(join(FIXTURES, 'zuko-maf', 'flow.safetensors')).stderr).toMatch(/missing required option --out/);
    expect(run(join(FIXTURES, 'zuko-maf', 'flow.safetensors'), '--ot', 'x').stderr).toMatch(/did you mean --out\?/);
  });
});
