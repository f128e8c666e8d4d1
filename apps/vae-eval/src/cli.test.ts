import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { main } from './main.js';
import { fitPca, project } from './pca.js';

/** The size of the image grid inside a figure's SVG (the embedded picture, without title and margins). */
function gridSize(svgFile: string): { width: number; height: number } {
  const image = /<image [^>]*width="(\d+)" height="(\d+)"/.exec(readFileSync(svgFile, 'utf8'));
  if (!image) throw new Error(`${svgFile} has no image`);
  return { width: Number(image[1]), height: Number(image[2]) };
}

const printed = captureConsole();

describe('vae-eval', () => {
  it('--help, and clear errors for bad options', async () => {
    for (const command of ['train', 'compare', 'evaluate']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(new RegExp(`vae-eval ${command}`));
    }
    expect(await main(['train', '--out', '/tmp/x', '--prior', 'uniform'])).toBe(2);
    expect(printed.stderr).toMatch(/--prior must be one of gaussian, mog, flow, vamp/);
    expect(await main(['compare', '--out', '/tmp/x', '--runs', '0'])).toBe(2);
    expect(await main(['compare', '--out', '/tmp/x', '--priors', 'gaussian,realnvp', '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--priors: unknown prior 'realnvp'; expected a comma-separated list of gaussian, mog, flow, vamp/);
    expect(printed.stderr).toMatch(/--runs must be a positive integer/);
  });

  it("every command takes the apps' one backend declaration: the backend table's choices, webgl included", async () => {
    for (const command of ['train', 'compare', 'evaluate']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(/--backend <auto\|tensorflow\|webgpu\|webgl\|wasm\|cpu>/);
      expect(printed.stdout).toMatch(/--threads <integer>[\s\S]*--native[\s\S]*--no-native/);
    }
  });

  it('compare runs end to end on a small subset and writes the table and pictures', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-eval-'));
    const code = await main(['compare', '--out', out, '--limit', '300', '--latent', '2', '--iw-samples', '5', '--runs', '2', '--backend', 'cpu', '--quiet']);
    expect(printed.stderr).not.toMatch(/error/);
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
    printed.stderr = '';
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
    printed.stderr = '';
    expect(await main(['evaluate', '--out', out, '--iw-samples', '9', '--priors', 'gaussian', '--backend', 'cpu', '--quiet'])).toBe(0);
    expect(printed.stderr).toMatch(/gaussian run 2: already evaluated with k = 9/);
    expect(await main(['evaluate', '--out', join(out, 'nothing-here'), '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--out: no readable results.json in .*nothing-here/);
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

describe('vae-eval --binarization stochastic', () => {
  it('trains and evaluates on the stochastically binarized images, and says so', async () => {
    const common = ['--prior', 'gaussian', '--limit', '200', '--latent', '2', '--iw-samples', '5', '--batch-size', '50', '--backend', 'cpu', '--quiet'];
    const stochastic = mkdtempSync(join(tmpdir(), 'vae-stochastic-'));
    expect(await main(['train', '--out', stochastic, '--binarization', 'stochastic', ...common])).toBe(0);
    const threshold = mkdtempSync(join(tmpdir(), 'vae-threshold-'));
    expect(await main(['train', '--out', threshold, ...common])).toBe(0);
    const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results(stochastic).settings.binarization).toBe('stochastic');
    // Earlier results.json files have no binarization: the default is not written.
    expect(results(threshold).settings.binarization).toBeUndefined();
    expect(readFileSync(join(stochastic, 'results.md'), 'utf8')).toMatch(/stochastically binarized/);
    expect(results(stochastic).runs[0].testElbo).not.toBeCloseTo(results(threshold).runs[0].testElbo, 3);
    // evaluate reads the binarization back: with the same k it reproduces the training's test ELBO.
    expect(await main(['evaluate', '--out', stochastic, '--iw-samples', '5', '--backend', 'cpu', '--quiet'])).toBe(0);
    const evaluated = JSON.parse(readFileSync(join(stochastic, 'evaluation-k5.json'), 'utf8')).runs[0];
    expect(evaluated.testElbo).toBeCloseTo(results(stochastic).runs[0].testElbo, 4);
  });
});

describe('vae-eval refuses what it would mislabel or misread', () => {
  const common = ['--prior', 'gaussian', '--limit', '200', '--latent', '2', '--iw-samples', '5', '--batch-size', '50', '--backend', 'cpu', '--quiet'];

  it('--resume with fewer --epochs than the checkpoint has is refused, naming both (not a 2-epoch model labelled 1 epochs)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-epochs-'));
    expect(await main(['train', '--out', out, '--epochs', '2', ...common])).toBe(0);
    const before = readFileSync(join(out, 'results.json'), 'utf8');
    printed.stdout = '';
    expect(await main(['train', '--out', out, '--epochs', '1', '--resume', ...common])).toBe(2);
    expect(printed.stderr).toContain(`--epochs 1: the checkpoint in ${join(out, 'gaussian', 'run-1', 'checkpoint')} already has 2 epochs`);
    expect(printed.stderr).toMatch(/pass --epochs 2 or more to continue it/);
    expect(printed.stdout).not.toMatch(/1 epochs/);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(before);
    // As many epochs as the checkpoint has is a finished run: it is taken as it is.
    expect(await main(['train', '--out', out, '--epochs', '2', '--resume', ...common])).toBe(0);
    expect(printed.stderr).toMatch(/gaussian run 1: already done/);
  });

  it("another app's model where a VAE's checkpoint should be is named with the command that fits it", async () => {
    const { Adam, integerDiscreteFlow, realNVP, saveCheckpoint } = await import('@flows/flows');
    const { Random } = await import('@flows/core');
    const save = async (dir: string, model: { trainableVariables: import('@tensorflow/tfjs-core').Variable[]; dispose(): void }, settings: object) => {
      const optimizer = new Adam(model.trainableVariables);
      await saveCheckpoint(dir, {
        model: model as never,
        optimizerState: await optimizer.readState(),
        randomState: new Random(1).getState(),
        epoch: 1,
        extra: { settings },
      });
      optimizer.dispose();
      model.dispose();
    };
    // An evaluate folder whose results.json names a run whose checkpoint is flow-codec's integer flow.
    const out = mkdtempSync(join(tmpdir(), 'vae-foreign-'));
    const codec = join(out, 'gaussian', 'run-1', 'checkpoint');
    mkdirSync(join(out, 'gaussian', 'run-1'), { recursive: true });
    await save(codec, integerDiscreteFlow({ size: 784, layers: 1, levels: 1, hidden: [4], mask: 'checkerboard', imageShape: [28, 28], seed: 1 }), {
      layers: 1,
      components: 1,
    });
    const run = { prior: 'gaussian', run: 0, testElbo: -100, testIwae: -99, iwSamples: 5, trainLoss: 100, seconds: 1 };
    writeFileSync(
      join(out, 'results.json'),
      JSON.stringify({ settings: { latent: 2, epochs: 1, batchSize: 50, learningRate: 1e-3, iwSamples: 5, limit: 200, seed: 0 }, runs: [run] }),
    );
    for (const command of ['evaluate', 'eval']) {
      printed.stderr = '';
      expect(await main([command, '--out', out, '--iw-samples', '5', '--backend', 'cpu', '--quiet'])).toBe(2);
      expect(printed.stderr).toContain(
        `${codec}: this is a flow-codec integer discrete flow (integer couplings on 8-bit pixels), not a vae-eval VAE; use flow-codec compress --model ${codec}`,
      );
    }
    // train --resume into a folder holding an mnist-flow checkpoint.
    const other = mkdtempSync(join(tmpdir(), 'vae-foreign-'));
    const flow = join(other, 'gaussian', 'run-1', 'checkpoint');
    mkdirSync(join(other, 'gaussian', 'run-1'), { recursive: true });
    await save(flow, realNVP({ size: 784, layers: 1, hidden: [4], seed: 1 }), { logit: null, mask: 'random', layers: 1 });
    expect(await main(['train', '--out', other, '--epochs', '2', '--resume', ...common])).toBe(2);
    expect(printed.stderr).toContain(`${flow}: this is a model made by mnist-flow, not a vae-eval VAE; use mnist-flow eval --model ${flow}`);
  });

  it("images of another size are named with both sizes (not TensorFlow.js's broadcasting error); eval is evaluate; a diverging run names --lr", async () => {
    const { encodeIdx } = await import('@flows/datasets');
    const small = mkdtempSync(join(tmpdir(), 'vae-14-'));
    for (const [split, count] of [
      ['train', 60],
      ['t10k', 20],
    ] as const) {
      writeFileSync(join(small, `${split}-images-idx3-ubyte`), encodeIdx([count, 14, 14], new Uint8Array(count * 196)));
      writeFileSync(join(small, `${split}-labels-idx1-ubyte`), encodeIdx([count], new Uint8Array(count)));
    }
    const out = mkdtempSync(join(tmpdir(), 'vae-14-out-'));
    expect(await main(['train', '--out', out, '--data-dir', small, ...common])).toBe(2);
    expect(printed.stderr).toMatch(/vae-eval train: .*: the data has 196 columns \(14×14 images\); the VAE's input size is 784 \(28×28 images\)/);
    expect(printed.stderr).not.toMatch(/broadcast/);
    printed.stdout = '';
    expect(await main(['eval', '--help'])).toBe(0);
    expect(printed.stdout).toMatch(/vae-eval evaluate: evaluate the trained runs/);
    expect(printed.stdout).toMatch(/or vae-eval eval/);
    expect(await main(['compair', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/vae-eval: unknown command 'compair'; did you mean 'compare'\?/);
    printed.stderr = '';
    expect(await main(['train', '--out', mkdtempSync(join(tmpdir(), 'vae-lr-')), '--epochs', '3', '--lr', '1e6', ...common])).toBe(1);
    expect(printed.stderr).toMatch(/Try a lower learning rate \(--lr[;)]/);
    expect(printed.stderr).not.toMatch(/clipNorm|scaleTanh|learningRate/);
  });
});
