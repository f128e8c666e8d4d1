import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';
import { fitPca, project } from './pca.js';

/** The size of the image grid inside a figure's SVG (the embedded picture, without title and margins). */
function gridSize(svgFile: string): { width: number; height: number } {
  const image = /<image [^>]*width="(\d+)" height="(\d+)"/.exec(readFileSync(svgFile, 'utf8'));
  if (!image) throw new Error(`${svgFile} has no image`);
  return { width: Number(image[1]), height: Number(image[2]) };
}

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(console, 'log').mockImplementation((...a) => {
    stdout += `${a.join(' ')}\n`;
  });
  vi.spyOn(console, 'error').mockImplementation((...a) => {
    stderr += `${a.join(' ')}\n`;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('vae-eval', () => {
  it('--help, and clear errors for bad options', async () => {
    for (const command of ['train', 'compare', 'evaluate']) {
      stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(stdout).toMatch(new RegExp(`vae-eval ${command}`));
    }
    expect(await main(['train', '--out', '/tmp/x', '--prior', 'uniform'])).toBe(2);
    expect(stderr).toMatch(/--prior must be one of gaussian, mog, flow, vamp/);
    expect(await main(['compare', '--out', '/tmp/x', '--runs', '0'])).toBe(2);
    expect(await main(['compare', '--out', '/tmp/x', '--priors', 'gaussian,realnvp', '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/--priors: unknown prior 'realnvp'; expected a comma-separated list of gaussian, mog, flow, vamp/);
    expect(stderr).toMatch(/--runs must be a positive integer/);
  });

  it('compare runs end to end on a small subset and writes the table and pictures', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-eval-'));
    const code = await main(['compare', '--out', out, '--limit', '300', '--latent', '2', '--iw-samples', '5', '--runs', '2', '--backend', 'cpu', '--quiet']);
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(8);
    expect(results.summary.map((s: { prior: string }) => s.prior)).toEqual(['gaussian', 'mog', 'flow', 'vamp']);
    for (const run of results.runs) expect(run.testIwae).toBeGreaterThan(run.testElbo - 1);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/\| flow \| 2 \| -\d+\.\d+ ± \d+\.\d+ \|/);
    const figure = decode(readFileSync(join(out, 'posterior-vs-prior.png')));
    expect(figure.width).toBeGreaterThan(2 * 4 * 280);
    const panels = readFileSync(join(out, 'posterior-vs-prior.svg'), 'utf8');
    for (const text of [
      'gaussian prior',
      'mog prior',
      'flow prior',
      'vamp prior',
      'aggregate posterior q(z)',
      'prior p(z)',
      'principal component 1',
      'principal component 2',
    ])
      expect(panels).toContain(`>${text}<`);
    expect(gridSize(join(out, 'flow', 'samples.svg')).width).toBe(8 * 29 * 2 + 2);
    expect(readFileSync(join(out, 'flow', 'reconstructions.svg'), 'utf8')).toContain('>pairs of test image | reconstruction<');
    expect(readFileSync(join(out, 'flow', 'run-2', 'training.svg'), 'utf8')).toContain('>VAE with the flow prior, run 2: training<');

    // evaluate: the same runs again from their checkpoints with another k; the ELBO (same noise) is unchanged.
    stderr = '';
    expect(await main(['evaluate', '--out', out, '--iw-samples', '9', '--priors', 'gaussian,flow', '--backend', 'cpu', '--quiet'])).toBe(0);
    const evaluation = JSON.parse(readFileSync(join(out, 'evaluation-k9.json'), 'utf8'));
    expect(evaluation.runs.map((r: { prior: string; run: number }) => `${r.prior}/${r.run}`)).toEqual(['gaussian/0', 'gaussian/1', 'flow/0', 'flow/1']);
    for (const run of evaluation.runs) {
      const trained = results.runs.find((r: { prior: string; run: number }) => r.prior === run.prior && r.run === run.run);
      expect(run.testElbo).toBeCloseTo(trained.testElbo, 3);
      expect(run.iwSamples).toBe(9);
      expect(run.testIwae).toBeGreaterThan(run.testElbo - 1);
    }
    expect(readFileSync(join(out, 'evaluation-k9.md'), 'utf8')).toMatch(/IWAE with k = 9/);
    stderr = '';
    expect(await main(['evaluate', '--out', out, '--iw-samples', '9', '--priors', 'gaussian', '--backend', 'cpu', '--quiet'])).toBe(0);
    expect(stderr).toMatch(/gaussian run 2: already evaluated with k = 9/);
    expect(await main(['evaluate', '--out', join(out, 'nothing-here'), '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/--out: no readable results.json in .*nothing-here/);
  });

  it('PCA finds the leading directions', () => {
    // Points spread along (1, 1, 0) with a little along (0, 0, 1).
    const values: number[] = [];
    for (let i = -50; i <= 50; i++) values.push(i, i, (i % 3) * 0.1);
    const pca = fitPca(values, 101, 3);
    expect(Math.abs(pca.axes[0][0])).toBeCloseTo(Math.SQRT1_2, 4);
    expect(Math.abs(pca.axes[0][1])).toBeCloseTo(Math.SQRT1_2, 4);
    const projected = project(values, 101, 3, pca);
    expect(Math.abs(projected[0])).toBeCloseTo(50 * Math.SQRT2, 2);
  });
});

describe('vae-eval resume', () => {
  it('a run stopped after one epoch and resumed gives the results of an uninterrupted run', async () => {
    const common = ['--prior', 'flow', '--limit', '200', '--latent', '2', '--iw-samples', '5', '--batch-size', '50', '--backend', 'cpu', '--quiet'];
    const straight = mkdtempSync(join(tmpdir(), 'vae-straight-'));
    expect(await main(['train', '--out', straight, '--epochs', '2', ...common])).toBe(0);
    const resumed = mkdtempSync(join(tmpdir(), 'vae-resumed-'));
    expect(await main(['train', '--out', resumed, '--epochs', '1', ...common])).toBe(0);
    expect(await main(['train', '--out', resumed, '--epochs', '2', '--resume', ...common])).toBe(0);
    const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs[0];
    const a = read(straight);
    const b = read(resumed);
    expect(Math.abs(a.testElbo - b.testElbo)).toBeLessThan(1e-3);
    expect(Math.abs(a.testIwae - b.testIwae)).toBeLessThan(1e-3);
  });
});
