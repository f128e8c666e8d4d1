// A flow trained in PyTorch (nflows' MAF with its residual MADE, which needs the importer's own
// classes) imported with @flows/import-torch, then read by toy-flow as any other model: its
// log-densities are nflows' own at the fixture's points.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTorchFlow } from '@flows/import-torch';
import { saveModel } from '@flows/flows';
import { describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const fixtures = join(dirname(createRequire(import.meta.url).resolve('@flows/import-torch/package.json')), 'fixtures');

describe('toy-flow with a model trained in PyTorch', () => {
  // The app runs as its own process: the classes must be registered by toy-flow, not by this test's import of the importer.
  it('logprob gives nflows’ own log-densities for an imported MAF', async () => {
    const fixture = join(fixtures, 'nflows-maf');
    const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { inputs: number[][]; logProb64: number[] };
    const { model } = importTorchFlow(
      new Uint8Array(readFileSync(join(fixture, 'flow.safetensors'))),
      JSON.parse(readFileSync(join(fixture, 'flow.json'), 'utf8')),
    );
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-imported-'));
    await saveModel(model, join(out, 'model'));
    model.dispose();
    const points = join(out, 'points.csv');
    writeFileSync(points, `x,y\n${expected.inputs.map((row) => row.join(',')).join('\n')}\n`);
    const stdout = execFileSync(process.execPath, [cli, 'logprob', '--model', join(out, 'model'), '--input', points, '--backend', 'cpu'], { encoding: 'utf8' });
    const values = stdout.trim().split('\n').map(Number);
    expect(values).toHaveLength(expected.inputs.length);
    values.forEach((value, i) => expect(Math.abs(value - expected.logProb64[i]) / Math.max(1, Math.abs(expected.logProb64[i]))).toBeLessThan(1e-5));
  });
});
