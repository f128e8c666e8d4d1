// `toy-flow train --flow cnf`: a continuous flow trained by flow matching, saved by one process
// and read by others (the app registers @flows/continuous's classes itself), with the densities
// the trained model had.
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuousFlow } from '@flows/continuous';
import { toyByName } from '@flows/datasets';
import { loadModel, selectBackend } from '@flows/flows';
import { captureConsole } from '@flows/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const printed = captureConsole({ processStdout: true });
const toyFlow = (args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('toy-flow train --flow cnf', () => {
  it('trains a continuous flow by flow matching; logprob and sample, in processes of their own, read it with the densities it had', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-'));
    const seed = 4;
    // wasm for the training run (its density picture is 102 400 ODE solves); the cpu backend below, where values are compared exactly.
    toyFlow(
      ['train', '--data', 'two-gaussians', '--flow', 'cnf', '--out', out, '--steps', '30', '--batch-size', '128', '--hidden', '16'].concat([
        '--test-size',
        '100',
        '--seed',
        String(seed),
        '--backend',
        'wasm',
        '--quiet',
      ]),
    );
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ dataset: 'two-gaussians', testSize: 100, steps: 30, settings: { flow: 'cnf', hidden: [16] } });
    expect(JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).model.className).toBe('ContinuousFlow');

    const model = await loadModel(join(out, 'model'));
    expect(model).toBeInstanceOf(ContinuousFlow);
    // The test NLL the training process measured on the trained model in memory, again on the loaded one (other backend: float32 rounding).
    const test = toyByName('two-gaussians').sample(100, { random: seed + 1_000_003 });
    const nll = tf.tidy(() => tf.neg(tf.mean(model.logProb(test))).dataSync()[0]);
    expect(Math.abs(nll - metrics.testNll)).toBeLessThan(1e-4);

    const points = [
      [0.25, 0.25],
      [-1.5, 0.5],
      [3, -3],
    ];
    const csv = join(out, 'points.csv');
    writeFileSync(csv, `x,y\n${points.map((p) => p.join(',')).join('\n')}\n`);
    const logProb = toyFlow(['logprob', '--model', join(out, 'model'), '--input', csv, '--backend', 'cpu'])
      .trim()
      .split('\n')
      .map(Number);
    const own = tf.tidy(() => Array.from(model.logProb(tf.tensor2d(points)).dataSync()));
    expect(logProb).toEqual(own);

    const lines = toyFlow(['sample', '--model', join(out, 'model'), '--n', '4', '--seed', '3', '--backend', 'cpu'])
      .trim()
      .split('\n');
    expect(lines[0]).toBe('x,y');
    const drawn = tf.tidy(() => Array.from(model.sample(4, { random: 3 }).dataSync()));
    lines
      .slice(1)
      .flatMap((line) => line.split(',').map(Number))
      .forEach((v, i) => expect(v).toBeCloseTo(drawn[i], 4));
    tf.dispose(test);
    model.dispose();
  });

  it('refuses what a continuous flow does not train on, naming the flags that work', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-'));
    expect(await main(['train', '--target', 'u1', '--flow', 'cnf', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--flow cnf trains by flow matching on --data \(a toy\); for --target use another --flow/);
    expect(await main(['train', '--data', 'two-gaussians', '--conditional', '--flow', 'cnf', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--flow cnf trains unconditional flows; leave out --conditional/);
    expect(await main(['train', '--data', join(out, 'points.csv'), '--flow', 'cnf', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--flow cnf trains on the built-in toys \(two-gaussians, .*\); for the points of .*points\.csv use another --flow/);
  });
});
