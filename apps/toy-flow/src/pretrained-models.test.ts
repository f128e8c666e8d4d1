import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { modelReference } from '@flows/cli-kit';
import { loadModel } from '@flows/flows';
import { describe, expect, it } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { main } from './main.js';

const printed = captureConsole({ processStdout: true });

describe('toy-flow with the shipped models (--model pretrained:NAME)', () => {
  it('logprob and sample read a shipped model by name; an unknown name lists the shipped ones', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-pretrained-'));
    const points = join(out, 'points.csv');
    writeFileSync(points, 'x,y\n0.25,0.25\n0.75,0.75\n0.5,0.1\n');
    printed.stdout = '';
    expect(await main(['logprob', '--model', 'pretrained:two-gaussians-realnvp', '--input', points, '--backend', 'cpu'])).toBe(0);
    const printedLogProbs = printed.stdout.trim().split('\n').map(Number);
    const model = await loadModel(modelReference('pretrained:two-gaussians-realnvp'));
    const x = tf.tensor2d([
      [0.25, 0.25],
      [0.75, 0.75],
      [0.5, 0.1],
    ]);
    const expected = Array.from(model.logProb(x).dataSync());
    x.dispose();
    model.dispose();
    printedLogProbs.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    // At the heavier mode's mean (weight 4/5, standard deviation 0.1) the trained density is high.
    expect(printedLogProbs[0]).toBeGreaterThan(1);

    printed.stdout = '';
    expect(await main(['sample', '--model', 'pretrained:two-gaussians-realnvp', '--n', '4', '--seed', '1', '--backend', 'cpu'])).toBe(0);
    expect(printed.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(4);

    expect(await main(['sample', '--model', 'pretrained:mnist-glow', '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--model: no pretrained model is called 'mnist-glow'; the shipped models are two-gaussians-realnvp, /);
    expect(await main(['sample', '--help'])).toBe(0);
    expect(printed.stdout).toMatch(/pretrained:NAME for a shipped model of @flows\/pretrained \(two-gaussians-realnvp/);
  });
});
