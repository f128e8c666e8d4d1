// `toy-flow train --flow cnf`: a continuous flow trained by flow matching, saved by one process
// and read by others (the app registers @flows/continuous's classes itself), with the densities
// the trained model had.
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuousFlow } from '@flows/continuous';
import { toyByName } from '@flows/datasets';
import { StandardNormal } from '@flows/distributions';
import { loadModel, selectBackend } from '@flows/flows';
import { captureConsole } from '@flows/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const printed = captureConsole({ processStdout: true });
const toyFlow = (args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** A run's exit code and what it printed on both streams. */
const toyFlowExit = (args: string[]) => {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
};

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

  it("--objective likelihood trains by maximum likelihood through the solver: the loss is the NLL, it falls, and held-out log-densities rise above the untrained flow's; --resume keeps the objective and refuses another", async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-ml-'));
    const seed = 4;
    const args = ['train', '--data', 'two-gaussians', '--flow', 'cnf', '--out', out, '--steps', '30', '--batch-size', '128', '--hidden', '16'].concat([
      '--checkpoint-every',
      '10',
      '--test-size',
      '200',
      '--seed',
      String(seed),
      '--backend',
      'wasm',
      '--quiet',
    ]);
    toyFlow([...args, '--objective', 'likelihood']);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings).toMatchObject({ flow: 'cnf', objective: 'likelihood' });
    expect(JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).metadata.settings.objective).toBe('likelihood');
    // The loss of every checkpointed segment is the batch's NLL (flow matching's regression loss would be far from it), and falls.
    const losses: number[] = metrics.history.map((row: { loss: number }) => row.loss);
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(Math.abs(losses[2] - metrics.testNll)).toBeLessThan(0.2);

    // The untrained field is zero (its last layer starts at zero): the flow starts as its standard normal base.
    const model = await loadModel(join(out, 'model'));
    const base = new StandardNormal([2]);
    const heldOut = toyByName('two-gaussians').sample(500, { random: 99 });
    const [trained, untrained] = tf.tidy(() => [tf.mean(model.logProb(heldOut)).dataSync()[0], tf.mean(base.logProb(heldOut)).dataSync()[0]]);
    expect(Number.isFinite(trained)).toBe(true);
    expect(trained).toBeGreaterThan(untrained + 0.05);
    tf.dispose(heldOut);
    model.dispose();

    const conflicting = toyFlowExit([...args, '--resume', '--objective', 'flow-matching']);
    expect(conflicting.code).toBe(2);
    expect(conflicting.output).toMatch(
      /--resume: options differ from the checkpointed run: objective flow-matching \(checkpoint: likelihood\); give them as they were/,
    );
    // Without --objective the run is the checkpoint's: finished, it gets its final files again, with the same figures.
    const kept = toyFlowExit([...args, '--resume']);
    expect(kept.code).toBe(0);
    const again = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(again.settings.objective).toBe('likelihood');
    expect(again.testNll).toBe(metrics.testNll);
  });

  it('refuses --objective with a flow that has no other, naming the flag', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-'));
    expect(await main(['train', '--data', 'two-gaussians', '--objective', 'likelihood', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(
      /--objective likelihood chooses how a continuous flow trains \(--flow cnf\); --flow realnvp has one objective .*: leave out --objective, or use --flow cnf/,
    );
    expect(await main(['train', '--target', 'u1', '--flow', 'spline', '--objective', 'flow-matching', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--objective flow-matching chooses how a continuous flow trains \(--flow cnf\); --flow spline has one objective/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--objective', 'adjoint', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--objective must be one of flow-matching, likelihood; got 'adjoint'/);
  });
});

describe('the density picture of a continuous flow', () => {
  it("solves with the picture solver by default and with plot's --solver-steps when given: more steps come closer to the adaptive solve", async () => {
    const { PICTURE_SOLVER, continuousToyFlow, pictureLogProb } = await import('./continuous-toy-flow.js');
    const { densityOnGrid } = await import('./pictures.js');
    const flow = continuousToyFlow({ size: 2, hidden: [16, 16], seed: 3 });
    // A field that is not zero: the untrained one is zero-initialised in its last layer.
    for (const v of flow.trainableVariables) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 5));
    const x = tf.tensor2d([
      [0.1, 0.9],
      [0.5, 0.5],
      [2, -1],
    ]);
    const exact = flow.logProb(x).arraySync() as number[];
    const error = (steps: number) => {
      const values = tf.tidy(() => pictureLogProb(flow, x, { method: 'rk4', steps }).arraySync() as number[]);
      return Math.max(...values.map((v, i) => Math.abs(v - exact[i])));
    };
    const byDefault = tf.tidy(() => pictureLogProb(flow, x).arraySync() as number[]);
    expect(byDefault).toEqual(tf.tidy(() => pictureLogProb(flow, x, PICTURE_SOLVER).arraySync() as number[]));
    expect(error(64)).toBeLessThan(error(2));
    expect(error(64)).toBeLessThan(1e-2);
    // The grid takes the same solver.
    const range: [[number, number], [number, number]] = [
      [0, 1],
      [0, 1],
    ];
    const coarse = await densityOnGrid(flow, range, 4, { method: 'rk4', steps: 2 });
    const fine = await densityOnGrid(flow, range, 4, { method: 'rk4', steps: 64 });
    expect(Array.from(coarse)).not.toEqual(Array.from(fine));
    x.dispose();
    flow.dispose();
    expect(toyFlowExit(['plot', '--model', 'pretrained:chequerboard-cnf', '--data', 'chequerboard', '--solver-steps', '0']).output).toMatch(
      /--solver-steps must be a positive integer, got '0'/,
    );
  });
});
