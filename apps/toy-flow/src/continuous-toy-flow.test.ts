// `toy-flow train --flow cnf`: a continuous flow trained by flow matching, saved by one process
// and read by others (the app registers @flows/continuous's classes itself), with the densities
// the trained model had.
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuousFlow, MLPVectorField } from '@flows/continuous';
import { Random } from '@flows/core';
import { toyByName } from '@flows/datasets';
import { DiagonalNormal, StandardNormal } from '@flows/distributions';
import { Adam, loadModel, saveCheckpoint, selectBackend } from '@flows/flows';
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

/** A run in a process of its own, to wait for or kill. */
function started(args: string[]): { pid: number; done: Promise<{ code: number; output: string }> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output }))) };
}

/** The checksum of the weights a run saved in model/. */
const weightsOf = (out: string) => JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).weights.checksum as string;

describe("toy-flow train --flow cnf with toy-kl.mjs's recipe", () => {
  const args = ['train', '--data', 'chequerboard', '--flow', 'cnf', '--steps', '300', '--batch-size', '64', '--hidden', '16'].concat([
    '--checkpoint-every',
    '100',
    '--test-size',
    '100',
    '--seed',
    '2',
    '--backend',
    'wasm',
    '--quiet',
  ]);

  it('trains by default with position features, power times, the average of the weights and the standardised base; a run killed mid-training resumes to the same average, and each is kept by --resume and refused another value by name', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-recipe-'));
    expect((await started([...args, '--out', straight]).done).code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(straight, 'metrics.json'), 'utf8'));
    expect(metrics.settings).toMatchObject({ positionFeatures: 6, timeSampling: 'power', timeScale: 2, ema: 0.999, standardBase: true });
    const description = JSON.parse(readFileSync(join(straight, 'model', 'model.json'), 'utf8')).model;
    expect(JSON.stringify(description)).toMatch(/"positionFeatures":6/);
    expect(JSON.stringify(description)).toMatch(/DiagonalNormal/);
    // model/ holds the average; the checkpoint the live weights (its model) and the average, to resume.
    const model = (await loadModel(join(straight, 'model'))) as ContinuousFlow;
    const checkpoint = JSON.parse(readFileSync(join(straight, 'checkpoint', 'checkpoint.json'), 'utf8'));
    expect(checkpoint.extra.weightAverage.updates).toBe(300);
    const saved = await Promise.all(model.trainableVariables.map(async (v) => Array.from(await v.data())));
    expect(saved).toEqual(checkpoint.extra.weightAverage.averages);
    // The base: the chequerboard's moments (its squares fill [0, 1]², mean about 0.5).
    expect(model.base).toBeInstanceOf(DiagonalNormal);
    const mean = tf.tidy(() => Array.from(tf.mean(model.base.sample(4000, { random: 1 }), 0).dataSync()));
    mean.forEach((m) => expect(Math.abs(m - 0.5)).toBeLessThan(0.05));
    model.dispose();

    const killed = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-recipe-'));
    const victim = started([...args, '--out', killed]);
    const file = join(killed, 'checkpoint', 'checkpoint.json');
    for (let i = 0; i < 1200 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    process.kill(victim.pid, 'SIGKILL');
    await victim.done;
    expect(existsSync(join(killed, 'model'))).toBe(false);
    for (const [flag, value, message] of [
      ['--ema', '0.99', /ema 0\.99 \(checkpoint: 0\.999\)/],
      ['--position-features', '0', /positionFeatures 0 \(checkpoint: 6\)/],
      ['--time-sampling', 'uniform', /timeSampling uniform \(checkpoint: power\)/],
      ['--no-standardize', undefined, /standardBase false \(checkpoint: true\)/],
    ] as const) {
      const refused = await started([...args, '--out', killed, '--resume', flag, ...(value ? [value] : [])]).done;
      expect(refused.code).toBe(2);
      expect(refused.output).toMatch(message);
    }
    const resumed = await started([...args, '--out', killed, '--resume']).done;
    expect(resumed.code).toBe(0);
    expect(resumed.output).toMatch(/resuming after step (100|200) of 300/);
    expect(weightsOf(killed)).toBe(weightsOf(straight));
    // A finished run whose final files are lost gets them again from its checkpoint: the average, not the live weights.
    rmSync(join(killed, 'model'), { recursive: true });
    rmSync(join(killed, 'metrics.json'));
    expect((await started([...args, '--out', killed, '--resume']).done).code).toBe(0);
    expect(weightsOf(killed)).toBe(weightsOf(straight));
  }, 600_000);

  it('resumes a cnf checkpoint written before the recipe as it ran: no position features, uniform times, no average, a standard normal base', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-old-'));
    // What toy-flow wrote then: a field without position features, the standard normal base, settings without the recipe (nor --objective).
    const model = new ContinuousFlow({ field: new MLPVectorField({ size: 2, hidden: [16], timeFeatures: 2, seed: 2 }) });
    const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
    const settings = {
      ...{ flow: 'cnf', layers: 8, hidden: [16], mask: 'alternating', scaleTanh: true, epochs: null, steps: 300, trainSize: 3_000_000 },
      ...{ batchSize: 64, learningRate: 0.002, schedule: 'cosine', clipNorm: null, conditional: false, standardized: false, seed: 2, dataset: 'chequerboard' },
    };
    await saveCheckpoint(join(out, 'checkpoint'), {
      model,
      optimizerState: await optimizer.readState(),
      randomState: new Random(19).getState(),
      epoch: 0,
      extra: { settings, history: [], seconds: 0, loss: 1 },
    });
    optimizer.dispose();
    model.dispose();
    const resumed = await started([...args, '--out', out, '--resume']).done;
    expect(resumed.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings).toMatchObject({
      objective: 'flow-matching',
      positionFeatures: 0,
      timeSampling: 'uniform',
      timeScale: null,
      ema: 0,
      standardBase: false,
    });
    const trained = await loadModel(join(out, 'model'));
    expect((trained as ContinuousFlow).base).toBeInstanceOf(StandardNormal);
    trained.dispose();
    // Given the new defaults by name, it is refused: it did not run with them.
    const refused = await started([...args, '--out', out, '--resume', '--position-features', '6']).done;
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/positionFeatures 6 \(checkpoint: 0\)/);
  }, 300_000);

  it('refuses the recipe with another --flow, by name, and values that do not fit together', async () => {
    const out = mkdtempSync(join(tmpdir(), 'toy-flow-cnf-'));
    expect(await main(['train', '--data', 'two-gaussians', '--ema', '0.999', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--ema is for a continuous flow \(--flow cnf\); leave it out, or use --flow cnf/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'spline', '--position-features', '6', '--time-sampling', 'power', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/--position-features, --time-sampling are for a continuous flow \(--flow cnf\)/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--ema', '1', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--ema must be 0 \(no average\) or a decay in \(0, 1\), such as 0\.999, got 1/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--objective', 'likelihood', '--time-sampling', 'power', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/--time-sampling and --time-scale are for --objective flow-matching/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--time-sampling', 'uniform', '--time-scale', '2', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/--time-scale goes with --time-sampling power or logit-normal/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--time-sampling', 'beta', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/--time-sampling must be one of uniform, logit-normal, power; got 'beta'/);
    expect(await main(['train', '--data', 'two-gaussians', '--flow', 'cnf', '--position-features', '17', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/--position-features must be at most 16/);
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
