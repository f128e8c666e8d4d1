// `mnist-flow train --architecture cnf`: a continuous flow on the preprocessed images, trained by
// flow matching and scored through its ODE solver with Hutchinson's trace, at a tiny size.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContinuousFlow } from '@flows/continuous';
import { loadMnist } from '@flows/datasets';
import { DiagonalNormal } from '@flows/distributions';
import { loadModel } from '@flows/flows';
import { captureConsole } from '@flows/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { testData } from './preprocessing.js';
import { testScore } from './test-score.js';

const printed = captureConsole();
const temp = () => mkdtempSync(join(tmpdir(), 'mnist-flow-cnf-'));
// A high learning rate: four steps give the field a Jacobian whose Hutchinson estimates differ from probe to probe.
const tiny = ['--architecture', 'cnf', '--limit', '60', '--hidden', '16', '--batch-size', '30', '--lr', '0.01', '--backend', 'cpu', '--quiet'];

describe('mnist-flow --architecture cnf', () => {
  it('trains by flow matching, scores test bits/dim through the solver with its NFE; eval of the saved model gives the same figure; samples, interpolates and resumes', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '2', ...tiny])).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings).toMatchObject({
      architecture: 'cnf',
      hidden: [16],
      layers: null,
      mask: null,
      scaleFactor: null,
      channels: null,
      stepsPerLevel: null,
    });
    const epoch = metrics.epochs[1];
    // Flow matching's loss, not an NLL, is what it trains by; the test NLL is a solve with its function evaluations counted.
    expect(epoch.trainNll).toBeNull();
    expect(Number.isFinite(epoch.trainLoss)).toBe(true);
    expect(Number.isFinite(epoch.testBpd)).toBe(true);
    expect(epoch.testBpd).toBeGreaterThan(0);
    expect(epoch.testNfe).toBeGreaterThanOrEqual(8);
    expect(printed.stdout).toMatch(/\| epoch \| train loss \(flow matching\) \| test NLL \(nats\) \| test bpd \| test NFE \|/);
    expect(printed.stdout).toMatch(new RegExp(`test bpd:  ${epoch.testBpd.toFixed(4)} \\(NFE ${epoch.testNfe.toFixed(0)} per solve\\)`));

    // The model: a ContinuousFlow on the 784 pixels from a normal with the images' per-pixel mean and spread, with Hutchinson's trace.
    const model = await loadModel(join(out, 'model'));
    expect(model).toBeInstanceOf(ContinuousFlow);
    const flow = model as ContinuousFlow;
    expect(flow.eventShape).toEqual([784]);
    expect(flow.trace.estimator).toBe('hutchinson');
    expect(flow.base).toBeInstanceOf(DiagonalNormal);
    const spread = Array.from((flow.base as DiagonalNormal).logScale.dataSync());
    expect(Math.min(...spread)).toBeLessThan(Math.max(...spread) - 0.5);
    // Scored again with the evaluation's own seeded probes: the NLL of the training's last epoch, to float rounding.
    const test = testData(await loadMnist('test'), { kind: 'logit', alpha: 0.000001 }, 12345, 60);
    const again = await testScore(model, test);
    expect(Math.abs(again.nll - epoch.testNll)).toBeLessThan(1e-9 * Math.abs(epoch.testNll));
    expect(again.nfe).toBe(epoch.testNfe);
    model.dispose();

    // Loaded in a fresh evaluation, with the same probes' seed: the figure of the training's last epoch to the last digit printed (the
    // flow's own generator, which the first epoch's evaluation moved on, would give another), twice.
    for (let i = 0; i < 2; i++) {
      printed.stdout = '';
      expect(await main(['eval', '--model', join(out, 'model'), '--limit', '60', '--backend', 'cpu'])).toBe(0);
      expect(printed.stdout).toContain(`test bpd:  ${epoch.testBpd.toFixed(4)}\n`);
      expect(printed.stdout).toMatch(
        new RegExp(`NFE: +${epoch.testNfe.toFixed(1)} per solve \\(batches of 500; Hutchinson's trace, one Rademacher probe, seed 0;`),
      );
    }

    expect(existsSync(join(out, 'samples.png'))).toBe(true);
    const grid = join(out, 'four.png');
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '4', '--out', grid, '--backend', 'cpu'])).toBe(0);
    expect(existsSync(grid)).toBe(true);
    const interpolation = join(out, 'interpolation.png');
    expect(await main(['interpolate', '--model', join(out, 'model'), '--steps', '2', '--out', interpolation, '--backend', 'cpu'])).toBe(0);
    expect(existsSync(interpolation)).toBe(true);

    // A third epoch from the checkpoint: its model (and base) are the checkpoint's.
    expect(await main(['train', '--out', out, '--epochs', '3', '--resume', ...tiny])).toBe(0);
    expect(printed.stderr).toMatch(/resuming after epoch 2/);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).epochs).toHaveLength(3);
    expect(await main(['train', '--out', out, '--epochs', '4', '--resume', ...tiny, '--hidden', '8'])).toBe(2);
    expect(printed.stderr).toMatch(/--resume: options differ from the checkpointed run: --hidden 8 \(checkpoint: 16\)/);
  });

  it('refuses the options a continuous flow has no use for, by name', async () => {
    const refusals: [string[], RegExp][] = [
      [['--channels', '4'], /--channels does not apply to --architecture cnf/],
      [
        ['--layers=3', '--mask', 'random'],
        /--layers, --mask do not apply to --architecture cnf .*; leave them out, or use --architecture coupling or multiscale/,
      ],
      [
        ['--conditional'],
        /--conditional does not apply to --architecture cnf \(a continuous flow: an MLP vector field of --hidden, trained by flow matching, unconditional, without validation\)/,
      ],
      [['--validation', '10'], /--validation does not apply to --architecture cnf/],
    ];
    for (const [extra, message] of refusals) {
      const out = temp();
      expect(await main(['train', '--out', out, ...tiny, ...extra])).toBe(2);
      expect(printed.stderr).toMatch(message);
      expect(existsSync(join(out, 'checkpoint'))).toBe(false);
    }
  });
});
