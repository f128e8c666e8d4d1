import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Chain, MaskedAffineCoupling } from '@flows/bijectors';
import { decode } from 'fast-png';
import type { TransformedDistribution } from '@flows/distributions';
import { loadModel } from '@flows/flows';
import { describe, expect, it } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { fromLatent, interpolationLatents, toLatent } from './interpolate.js';
import { main } from './main.js';

/** The size of the image grid inside a figure's SVG (the embedded picture, without title and margins). */
function gridSize(svgFile: string): { width: number; height: number } {
  const image = /<image [^>]*width="(\d+)" height="(\d+)"/.exec(readFileSync(svgFile, 'utf8'));
  if (!image) throw new Error(`${svgFile} has no image`);
  return { width: Number(image[1]), height: Number(image[2]) };
}

const printed = captureConsole();

const temp = () => mkdtempSync(join(tmpdir(), 'mnist-flow-'));
const tiny = ['--limit', '200', '--layers', '2', '--hidden', '16', '--batch-size', '50', '--backend', 'cpu', '--quiet'];

describe('mnist-flow', () => {
  it('--help on every command, and clear errors', async () => {
    for (const command of ['train', 'eval', 'sample', 'interpolate']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(new RegExp(`mnist-flow ${command === 'eval' ? 'eval' : command}`));
    }
    expect(await main(['eval', '--model', '/nonexistent/model', '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/\/nonexistent\/model: model directory not found/);
    // pretrained:NAME names a shipped model; a toy's is refused by its size, an unknown name with the list.
    for (const command of ['eval', 'sample', 'interpolate']) {
      expect(await main([command, '--model', 'pretrained:mnist-nothing', '--backend', 'cpu'])).toBe(2);
      expect(printed.stderr).toMatch(/--model: no pretrained model is called 'mnist-nothing'; the shipped models are /);
    }
    expect(await main(['sample', '--model', 'pretrained:two-gaussians-realnvp', '--backend', 'cpu'])).not.toBe(0);
    expect(printed.stderr).toMatch(/two-gaussians-realnvp\/: this is a model of 2-dimensional data \(made by toy-flow\)/);
    expect(await main(['train', '--out', temp(), '--mask', 'diagonal'])).toBe(2);
    expect(printed.stderr).toMatch(/--mask must be one of random, checkerboard/);
    expect(await main(['train', '--out', temp(), '--resume', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/no checkpoint in/);
    const corrupt = temp();
    writeFileSync(join(corrupt, 'placeholder'), '');
    const dir = join(corrupt, 'checkpoint');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    writeFileSync(join(dir, 'checkpoint.json'), '{"format": "flows-checkpoint"');
    expect(await main(['train', '--out', corrupt, '--resume', ...tiny])).toBe(1);
    expect(printed.stderr).toMatch(/checkpoint\.json: is not valid JSON/);
    expect(await main(['train', '--out', temp(), '--lr-schedule', 'linear', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--lr-schedule must be one of constant, cosine/);
    expect(await main(['train', '--out', temp(), '--weight-decay', '-1', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--weight-decay must be at least 0, got -1/);
  });

  it("every command takes the apps' one backend declaration: the backend table's choices (webgl too) and the line saying which runs", async () => {
    for (const command of ['train', 'eval', 'sample', 'interpolate']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(/--backend <auto\|tensorflow\|webgpu\|webgl\|wasm\|cpu>/);
      expect(printed.stdout).toMatch(/--threads <integer>[\s\S]*--native[\s\S]*--no-native/);
    }
    // webgl is a choice; in Node it is refused with the reason, before any model is read.
    expect(await main(['sample', '--model', '/nonexistent/model', '--backend', 'webgl'])).toBe(1);
    expect(printed.stderr).toMatch(/backend 'webgl' \(from option\) is not available: WebGL needs a browser/);
    printed.stderr = '';
    expect(await main(['sample', '--model', '/nonexistent/model', '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/^backend: cpu \(option\)\n/);
  });

  it('a model from another app, 14×14 images and an IDX file of 0 images are named, not turned into a black grid or TensorFlow.js internals', async () => {
    const { realNVP, saveModel } = await import('@flows/flows');
    const { encodeIdx } = await import('@flows/datasets');
    const toyModel = join(temp(), 'model');
    const toy = realNVP({ size: 2, layers: 2, hidden: [4] });
    await saveModel(toy, toyModel, { app: 'toy-flow' });
    toy.dispose();
    expect(await main(['sample', '--model', toyModel, '--out', join(temp(), 'grid.png'), '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/this is a model of 2-dimensional data \(made by toy-flow\); mnist-flow works with models of 28×28 images/);
    expect(await main(['eval', '--model', toyModel, '--backend', 'cpu'])).toBe(2);
    // A run's model on 14×14 IDX files.
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '1', ...tiny])).toBe(0);
    const small = temp();
    const write = (name: string, dims: number[], bytes: Uint8Array) => writeFileSync(join(small, name), encodeIdx(dims, bytes));
    write('t10k-images-idx3-ubyte', [5, 14, 14], new Uint8Array(5 * 196));
    write('t10k-labels-idx1-ubyte', [5], new Uint8Array(5));
    expect(await main(['eval', '--model', join(out, 'model'), '--data-dir', small, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/the images are 14×14, but mnist-flow models are of 28×28 images/);
    const empty = temp();
    writeFileSync(join(empty, 't10k-images-idx3-ubyte'), encodeIdx([0, 28, 28], new Uint8Array(0)));
    writeFileSync(join(empty, 't10k-labels-idx1-ubyte'), encodeIdx([0], new Uint8Array(0)));
    expect(await main(['eval', '--model', join(out, 'model'), '--data-dir', empty, '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/contains no images/);
  });

  it("another app's model is refused by name with the command that fits it: a flow-codec integer flow, its checkpoint, a toy-flow or library model of 784 values, an unknown preprocessing", async () => {
    const { integerDiscreteFlow, realNVP, saveCheckpoint, saveModel, Adam } = await import('@flows/flows');
    const { Random } = await import('@flows/core');
    const run = temp();
    const codec = join(run, 'model');
    // flow-codec train's model: an integer discrete flow of 28×28 8-bit images, saved as flow-codec saves it.
    const flow = integerDiscreteFlow({ size: 784, layers: 1, levels: 1, hidden: [4], mask: 'checkerboard', imageShape: [28, 28], seed: 1 });
    await saveModel(flow, codec, { app: 'flow-codec', settings: { layers: 1, hidden: [4], components: 1 } });
    const optimizer = new Adam(flow.trainableVariables);
    await saveCheckpoint(join(run, 'checkpoint'), {
      model: flow,
      optimizerState: await optimizer.readState(),
      randomState: new Random(1).getState(),
      epoch: 1,
      extra: { settings: { layers: 1, hidden: [4], components: 1 } },
    });
    optimizer.dispose();
    flow.dispose();
    const refusals: [string[], string][] = [
      [['eval', '--model', codec], codec],
      [['evaluate', '--model', run], codec],
      [['sample', '--model', codec, '--out', join(run, 'grid.png')], codec],
      [['interpolate', '--model', codec, '--out', join(run, 'i.png')], codec],
      [['eval', '--model', join(run, 'checkpoint')], join(run, 'checkpoint')],
    ];
    for (const [argv, where] of refusals) {
      printed.stderr = '';
      printed.stdout = '';
      expect(await main([...argv, '--backend', 'cpu'])).toBe(2);
      expect(printed.stderr).toContain(
        `${where}: this is a flow-codec integer discrete flow (integer couplings on 8-bit pixels), not an mnist-flow model; use flow-codec compress --model ${where}`,
      );
      expect(printed.stdout).not.toMatch(/test bpd/);
    }
    expect(existsSync(join(run, 'grid.png'))).toBe(false);
    // Continuous models of 784 values that mnist-flow did not train: their preprocessing is not known.
    const toy = realNVP({ size: 784, layers: 1, hidden: [4], seed: 2 });
    const toyModel = join(temp(), 'model');
    await saveModel(toy, toyModel, { app: 'toy-flow', dataset: 'pixels.csv' });
    const libraryModel = join(temp(), 'model');
    await saveModel(toy, libraryModel);
    const edited = join(temp(), 'model');
    await saveModel(toy, edited, { app: 'mnist-flow', view: { kind: 'binarized' } });
    toy.dispose();
    expect(await main(['eval', '--model', toyModel, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toContain(`${toyModel}: mnist-flow did not train this model (a model made by toy-flow): it knows the preprocessing`);
    expect(printed.stderr).toContain(`use toy-flow sample --model ${toyModel}`);
    expect(await main(['sample', '--model', libraryModel, '--out', join(run, 'g.png'), '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/mnist-flow did not train this model \(a model that records no app \(saved by the library, not by a flows app\)\)/);
    expect(await main(['eval', '--model', edited, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/the model records no preprocessing mnist-flow knows \(\{"kind":"binarized"\}/);
  });

  it("bad flags and commands: an empty or zero --epochs, a misspelled flag or command gets the near name; 'evaluate' is 'eval'", async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/mnist-flow train: --epochs needs a value: a positive integer/);
    expect(await main(['train', '--out', out, '--seed=', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--seed needs a value: a non-negative integer/);
    expect(await main(['train', '--out', out, '--epochs', '0', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--epochs must be a positive integer, got '0'/);
    expect(existsSync(join(out, 'model'))).toBe(false);
    expect(await main(['trian', '--out', out])).toBe(2);
    expect(printed.stderr).toMatch(/mnist-flow: unknown command 'trian'; did you mean 'train'\? commands: train, eval, sample, interpolate/);
    expect(await main(['train', '--out', out, '--epoch', '3', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/Unknown option '--epoch'; did you mean --epochs\?/);
    printed.stdout = '';
    expect(await main(['evaluate', '--help'])).toBe(0);
    expect(printed.stdout).toMatch(/mnist-flow eval: test-set NLL/);
    expect(printed.stdout).toMatch(/or mnist-flow evaluate/);
    printed.stdout = '';
    expect(await main(['--help'])).toBe(0);
    expect(printed.stdout).toMatch(/also spelled evaluate/);
  });

  it("a diverging run's advice names mnist-flow's flags (--lr, --clip-norm), not the library's options", async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '4', '--lr', '10000', '--lr-schedule', 'constant', ...tiny])).toBe(1);
    expect(printed.stderr).toMatch(/the run diverged|NaN or infinite/);
    expect(printed.stderr).toMatch(/Try a lower learning rate \(--lr[;)]/);
    expect(printed.stderr).toMatch(/a gradient-norm clip \(--clip-norm\)/);
    expect(printed.stderr).not.toMatch(/clipNorm|scaleTanh|learningRate/);
  });

  it('--lr-schedule cosine decays the learning rate over all epochs (recorded in metrics.json)', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '2', '--lr', '0.002', '--lr-schedule', 'cosine', '--weight-decay', '0.0001', ...tiny])).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings.weightDecay).toBe(0.0001);
    const rows = metrics.epochs as { learningRate: number }[];
    // 4 steps per epoch, 8 in all: half-way the cosine is at the middle of lr and lr/100; at the end, lr/100.
    expect(rows[0].learningRate).toBeCloseTo(0.002 * (0.01 + 0.99 * 0.5), 8);
    expect(rows[1].learningRate).toBeCloseTo(0.002 * 0.01, 8);
  });

  it('--validation holds out training images, keeps the best epoch (model/ and best-model/), and --patience stops early', async () => {
    const out = temp();
    // Seeded and on the cpu backend, this tiny over-parameterized run is deterministic: its validation bpd stops improving.
    const options = [
      '--limit',
      '100',
      '--validation',
      '50',
      '--patience',
      '2',
      '--epochs',
      '60',
      '--layers',
      '2',
      '--hidden',
      '64',
      '--batch-size',
      '50',
      '--lr',
      '0.01',
      '--backend',
      'cpu',
      '--quiet',
    ];
    expect(await main(['train', '--out', out, ...options])).toBe(0);
    expect(printed.stderr).toMatch(/the last 50 training images held out for validation/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings.validation).toBe(50);
    const rows = metrics.epochs as { epoch: number; testBpd: number; validationBpd: number }[];
    const best = rows.reduce((a, b) => (b.validationBpd < a.validationBpd ? b : a));
    expect(rows.length).toBeLessThan(60);
    expect(rows.length - best.epoch).toBe(2);
    expect(printed.stderr).toMatch(
      new RegExp(`stopping early: no better validation bpd for 2 epochs \\(best ${best.validationBpd.toFixed(4)} at epoch ${best.epoch}\\)`),
    );
    // Both saved models are the best epoch's: they score its test bpd (same first 100 test images, same fixed noise).
    for (const dir of ['model', 'best-model']) {
      printed.stdout = '';
      expect(await main(['eval', '--model', join(out, dir), '--limit', '100', '--backend', 'cpu'])).toBe(0);
      expect(printed.stdout).toMatch(new RegExp(`test bpd: +${best.testBpd.toFixed(4)}`));
    }
    expect(printed.stdout).not.toMatch(new RegExp(`test bpd: +${rows[rows.length - 1].testBpd.toFixed(4)}`));
    expect(await main(['train', '--out', temp(), '--patience', '3', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--patience needs --validation/);
    expect(await main(['train', '--out', temp(), '--validation', '200', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--validation 200 leaves no training images \(200 available\)/);
  });

  it('--resume of a run killed after its last checkpoint writes the missing model; changed options are refused by name', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '2', '--mask', 'random', ...tiny])).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    // The state a kill -9 during the final writes leaves: the last checkpoint, but no model/ and no samples.png.
    rmSync(join(out, 'model'), { recursive: true });
    rmSync(join(out, 'samples.png'));
    expect(
      await main([
        'train',
        '--out',
        out,
        '--epochs',
        '2',
        '--mask',
        'random',
        '--layers',
        '3',
        ...tiny.filter((_, i, a) => a[i] !== '--layers' && a[i - 1] !== '--layers'),
        '--resume',
      ]),
    ).toBe(2);
    expect(printed.stderr).toMatch(/--resume: options differ from the checkpointed run: --layers 3 \(checkpoint: 2\)/);
    expect(existsSync(join(out, 'model'))).toBe(false);
    expect(await main(['train', '--out', out, '--epochs', '2', '--mask', 'random', '--resume', ...tiny])).toBe(0);
    expect(printed.stderr).toMatch(/the checkpoint has all 2 epochs: writing the final model/);
    expect(existsSync(join(out, 'samples.png'))).toBe(true);
    printed.stdout = '';
    expect(await main(['eval', '--model', join(out, 'model'), '--limit', '200', '--backend', 'cpu'])).toBe(0);
    const bpd = Number(/test bpd:\s+([\d.]+)/.exec(printed.stdout)![1]);
    expect(bpd).toBeCloseTo(metrics.epochs[1].testBpd, 3);
    // With the flag, a changed training option is accepted and the model's settings stay the checkpoint's.
    expect(
      await main([
        'train',
        '--out',
        out,
        '--epochs',
        '3',
        '--mask',
        'random',
        '--lr',
        '0.0005',
        '--layers',
        '3',
        ...tiny.filter((_, i, a) => a[i] !== '--layers' && a[i - 1] !== '--layers'),
        '--resume',
        '--allow-option-changes',
      ]),
    ).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(after.settings.layers).toBe(2);
    expect(after.settings.learningRate).toBe(0.0005);
  });

  it('a killed run resumed from its checkpoint ends with the losses of an uninterrupted run', async () => {
    // The kill is stood in for by a run of 1 epoch, extended to 3 on resume: that is the same run
    // only for a constant learning rate (a cosine schedule spans all --epochs).
    const constant = ['--lr-schedule', 'constant'];
    const straight = temp();
    expect(await main(['train', '--out', straight, '--epochs', '3', '--mask', 'random', ...constant, ...tiny])).toBe(0);
    const resumed = temp();
    expect(await main(['train', '--out', resumed, '--epochs', '1', '--mask', 'random', ...constant, ...tiny])).toBe(0);
    expect(await main(['train', '--out', resumed, '--epochs', '3', '--mask', 'random', '--resume', ...constant, ...tiny])).toBe(0);
    const rows = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).epochs as { trainNll: number; testNll: number }[];
    const a = rows(straight);
    const b = rows(resumed);
    expect(b.length).toBe(3);
    a.forEach((row, i) => {
      expect(Math.abs(row.trainNll - b[i].trainNll)).toBeLessThan(1e-3);
      expect(Math.abs(row.testNll - b[i].testNll)).toBeLessThan(1e-3);
    });
    // Random masks: exactly half the pixels, and stored with the model.
    const model = (await loadModel(join(resumed, 'model'))) as TransformedDistribution;
    const masks = ((model.bijector as Chain).bijectors as MaskedAffineCoupling[]).map((b) => b.mask);
    masks.forEach((m) => expect(m.reduce((s, v) => s + v, 0)).toBe(392));
    const original = (await loadModel(join(straight, 'model'))) as TransformedDistribution;
    expect(((original.bijector as Chain).bijectors as MaskedAffineCoupling[]).map((b) => b.mask)).toEqual(masks);
    // Per-epoch sample grids: an 8 x 8 grid of 28 x 28 images.
    expect(gridSize(join(resumed, 'samples-epoch-3.svg')).width).toBe(8 * 29 * 2 + 2);
    expect(readFileSync(join(resumed, 'samples-epoch-3.svg'), 'utf8')).toContain('>samples after epoch 3<');
    expect(decode(readFileSync(join(resumed, 'samples-epoch-3.png'))).width).toBeGreaterThan(2 * (8 * 29 * 2 + 2));
    // Training curves per epoch: bits per dimension and the learning rate.
    const curves = readFileSync(join(resumed, 'training.svg'), 'utf8');
    for (const text of ['training', 'bits per dimension', 'learning rate', 'epoch', 'train', 'test']) expect(curves).toContain(`>${text}<`);
    expect(decode(readFileSync(join(resumed, 'training.png'))).width).toBeGreaterThan(500);
    expect(printed.stdout).toMatch(/test bpd:/);
  });

  it('a checkpoint carried to another machine resumes there: moved to another folder, on another backend, the original gone', async () => {
    // Another machine is stood in for by what differs there: the run's folder has another path (the
    // original is deleted, so nothing can still be read from it), the process's working directory is
    // elsewhere, and the backend differs (cpu here, wasm there), so the arithmetic differs in its last bits.
    const constant = ['--lr-schedule', 'constant'];
    const straight = temp();
    expect(await main(['train', '--out', straight, '--epochs', '2', ...constant, ...tiny])).toBe(0);
    const here = temp();
    expect(await main(['train', '--out', here, '--epochs', '1', ...constant, ...tiny])).toBe(0);
    // Nothing in the checkpoint names the folder it was written in.
    for (const file of readdirSync(join(here, 'checkpoint'))) expect(readFileSync(join(here, 'checkpoint', file), 'latin1')).not.toContain(here);
    const there = join(temp(), 'carried');
    cpSync(here, there, { recursive: true });
    rmSync(here, { recursive: true });
    const wasm = tiny.map((v, i) => (tiny[i - 1] === '--backend' ? 'wasm' : v));
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      expect(await main(['train', '--out', there, '--epochs', '2', '--resume', ...constant, ...wasm])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    const rows = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).epochs as { trainNll: number; testNll: number }[];
    const [a, b] = [rows(straight), rows(there)];
    expect(b.length).toBe(2);
    // The first epoch is the checkpoint's own row; the second, trained on the other backend, follows the same run.
    expect([b[0].trainNll, b[0].testNll]).toEqual([a[0].trainNll, a[0].testNll]);
    expect(Math.abs(a[1].trainNll / b[1].trainNll - 1)).toBeLessThan(1e-4);
    expect(Math.abs(a[1].testNll / b[1].testNll - 1)).toBeLessThan(1e-4);
    expect(existsSync(join(there, 'model', 'model.json'))).toBe(true);
  });

  it('the default run uses the published preprocessing (logit, alpha 1e-6) and a cosine schedule; the exercise scaling is one flag away', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '1', ...tiny])).toBe(0);
    expect(printed.stderr).toMatch(/logit preprocessing \(Real NVP's\): .*logit\(0\.000001/);
    const settings = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings;
    expect(settings).toMatchObject({ logit: 1e-6, lrSchedule: 'cosine' });
    const exercise = temp();
    printed.stderr = '';
    expect(await main(['train', '--out', exercise, '--epochs', '1', '--exercise-scaling', ...tiny])).toBe(0);
    expect(printed.stderr).toMatch(/the exercise's dequantization: x = v\/255 \+ U\/255/);
    expect(JSON.parse(readFileSync(join(exercise, 'metrics.json'), 'utf8')).settings.logit).toBeNull();
    expect(await main(['train', '--out', temp(), '--exercise-scaling', '--logit', '0.05', ...tiny])).toBe(2);
    expect(printed.stderr).toMatch(/--exercise-scaling and --logit are two preprocessings/);
  });

  it('the native kernels are used by default on wasm when the addon is built; --no-native refuses them', async () => {
    const glowless = [
      '--limit',
      '100',
      '--layers',
      '2',
      '--hidden',
      '16',
      '--batch-size',
      '50',
      '--epochs',
      '1',
      '--backend',
      'wasm',
      '--threads',
      '1',
      '--quiet',
    ];
    const built = existsSync(new URL('../../../packages/native-kernels/native/build/Release/flows_blas.node', import.meta.url));
    printed.stderr = '';
    expect(await main(['train', '--out', temp(), ...glowless])).toBe(0);
    if (built) expect(printed.stderr).toMatch(/backend: wasm, native kernels: (own AVX-512|OpenBLAS) matrix products/);
    else expect(printed.stderr).toMatch(/stock matrix products \(native kernels unavailable/);
    printed.stderr = '';
    expect(await main(['train', '--out', temp(), '--no-native', ...glowless])).toBe(0);
    expect(printed.stderr).not.toMatch(/OpenBLAS/);
    expect(await main(['train', '--out', temp(), '--no-native', '--native', ...glowless])).toBe(2);
    expect(printed.stderr).toMatch(/--native requires the native kernels and --no-native refuses them/);
  });

  it('eval, sample and interpolate a saved model; logit preprocessing', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '1', '--logit', '0.05', ...tiny])).toBe(0);
    expect(printed.stderr).toMatch(/logit\(0\.05/);
    printed.stdout = '';
    expect(await main(['eval', '--model', join(out, 'model'), '--limit', '200', '--backend', 'cpu'])).toBe(0);
    expect(printed.stdout).toMatch(/test bpd: +\d+\.\d+/);
    expect(printed.stdout).toMatch(/log 256/);
    // The last checkpoint (a run still going) and the run directory give the same figures, with the
    // preprocessing read from the checkpoint's settings.
    const bpd = (text: string) => /test bpd: +(\d+\.\d+)/.exec(text)![1];
    const fromModel = bpd(printed.stdout);
    for (const dir of [join(out, 'checkpoint'), out]) {
      printed.stdout = '';
      expect(await main(['eval', '--model', dir, '--limit', '200', '--backend', 'cpu'])).toBe(0);
      expect(bpd(printed.stdout)).toBe(fromModel);
      expect(printed.stdout).toMatch(/log 256/);
    }
    expect(printed.stderr).toMatch(/model: .*checkpoint \(epoch 1\)/);
    expect(await main(['sample', '--model', join(out, 'checkpoint'), '--n', '4', '--out', join(out, 'c.png'), '--backend', 'cpu'])).toBe(0);
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '4', '--out', join(out, 's.png'), '--backend', 'cpu'])).toBe(0);
    expect(await main(['interpolate', '--model', join(out, 'model'), '--steps', '3', '--out', join(out, 'i.png'), '--backend', 'cpu'])).toBe(0);
    expect(gridSize(join(out, 'i.svg')).width).toBe(3 * 29 * 2 + 2);
    expect(readFileSync(join(out, 'i.svg'), 'utf8')).toMatch(/>test digits \d, \d, \d, \d at the corners</);
    expect(readFileSync(join(out, 's.svg'), 'utf8')).toContain('>4 samples, temperature 0.5, seed 0<');
  });

  it('a class-conditional flow: one row per digit, --digit, and eval with the labels', async () => {
    const out = temp();
    expect(await main(['train', '--out', out, '--epochs', '1', '--conditional', ...tiny])).toBe(0);
    expect(gridSize(join(out, 'samples.svg')).height).toBe(10 * 29 * 2 + 2); // ten rows: digits 0-9
    expect(readFileSync(join(out, 'samples.svg'), 'utf8')).toContain('>one row per digit 0-9, temperature 0.5, seed 2<');
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings.conditional).toBe(true);
    printed.stdout = '';
    expect(await main(['eval', '--model', join(out, 'model'), '--limit', '200', '--backend', 'cpu'])).toBe(0);
    expect(printed.stdout).toMatch(/test bpd: +\d+\.\d+/);
    expect(await main(['sample', '--model', join(out, 'model'), '--digit', '3', '--n', '4', '--out', join(out, 'three.png'), '--backend', 'cpu'])).toBe(0);
    expect(await main(['interpolate', '--model', join(out, 'model'), '--out', join(out, 'i.png'), '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/class-conditional/);
  });

  it('a multi-scale Glow: trains on image-shaped batches, resumes, samples, evaluates and interpolates', async () => {
    const out = temp();
    // The wasm backend: convolutions as patch products are slow on the pure-JS cpu backend.
    const glow = [
      '--architecture',
      'multiscale',
      '--steps-per-level',
      '1',
      '--channels',
      '4',
      '--logit',
      '0.05',
      '--limit',
      '60',
      '--batch-size',
      '30',
      '--backend',
      'wasm',
      '--threads',
      '1',
      '--quiet',
    ];
    expect(await main(['train', '--out', out, '--epochs', '1', ...glow])).toBe(0);
    expect(await main(['train', '--out', out, '--epochs', '2', '--resume', ...glow])).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).epochs as { testBpd: number }[];
    expect(rows).toHaveLength(2);
    rows.forEach((r) => expect(Number.isFinite(r.testBpd)).toBe(true));
    const model = (await loadModel(join(out, 'model'))) as TransformedDistribution;
    expect(model.eventShape).toEqual([28, 28, 1]);
    printed.stdout = '';
    expect(await main(['eval', '--model', join(out, 'model'), '--limit', '60', '--backend', 'wasm'])).toBe(0);
    expect(printed.stdout).toMatch(/test bpd: +\d+\.\d+/);
    // A checkpoint records no app: its settings must still read as mnist-flow's (vae-eval's runs have a 'prior').
    expect(await main(['eval', '--model', join(out, 'checkpoint'), '--limit', '60', '--backend', 'wasm'])).toBe(0);
    expect(gridSize(join(out, 'samples.svg')).width).toBe(8 * 29 * 2 + 2);
    expect(await main(['interpolate', '--model', join(out, 'model'), '--steps', '3', '--out', join(out, 'i.png'), '--backend', 'wasm'])).toBe(0);
    // Glow's learned priors by default: the flow nests a level per factor-out.
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings.factorPrior).toBe('conditional');
    expect(model.base.className).toBe('FactorOutDistribution');
    model.dispose();
  });

  it('--prior standard: one standard normal base, recorded as runs from before the option were; --prior refused where it does not apply', async () => {
    const out = temp();
    const glow = ['--architecture', 'multiscale', '--steps-per-level', '1', '--channels', '4', '--limit', '30', '--test-limit', '30', '--batch-size', '30'];
    const rest = ['--backend', 'wasm', '--threads', '1', '--quiet'];
    expect(await main(['train', '--out', out, '--epochs', '1', '--prior', 'standard', ...glow, ...rest])).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings.factorPrior).toBeNull();
    const model = (await loadModel(join(out, 'model'))) as TransformedDistribution;
    expect(model.base.className).toBe('StandardNormal');
    model.dispose();
    // The default (conditional) against this checkpoint's standard prior: named, with the way on.
    expect(await main(['train', '--out', out, '--epochs', '2', '--resume', ...glow, ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--prior conditional \(checkpoint: unset\)/);
    expect(await main(['train', '--out', temp(), '--prior', 'standard', '--limit', '30', ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--prior applies to --architecture multiscale only/);
    expect(await main(['train', '--out', temp(), '--prior', 'conditional', '--conditional', ...glow, ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/use --prior standard with --conditional/);
  });

  it("--conditioner gated-residual: Flow++'s coupling networks, recorded and resumed; refused by name where they do not apply", async () => {
    const out = temp();
    const glow = ['--architecture', 'multiscale', '--steps-per-level', '1', '--limit', '30', '--test-limit', '30', '--batch-size', '30'];
    const rest = ['--backend', 'wasm', '--threads', '1', '--quiet'];
    const gated = ['--conditioner', 'gated-residual', '--channels', '4', '--blocks', '1'];
    expect(await main(['train', '--out', out, '--epochs', '1', ...gated, ...glow, ...rest])).toBe(0);
    const settings = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings;
    expect([settings.conditioner, settings.blocks, settings.channels]).toEqual(['gated-residual', 1, [4]]);
    const model = (await loadModel(join(out, 'model'))) as TransformedDistribution;
    expect(JSON.stringify(model.toJSON())).toMatch(
      /"className":"GatedResidualConvNet","config":\{"inputChannels":4,"outputChannels":4,"channels":4,"blocks":1,/,
    );
    model.dispose();
    expect(await main(['train', '--out', out, '--epochs', '2', '--resume', ...gated, ...glow, ...rest])).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).epochs).toHaveLength(2);
    // Resumed without the option: the ConvNet flow is not the checkpoint's.
    expect(await main(['train', '--out', out, '--epochs', '3', '--resume', '--channels', '4', ...glow, ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--conditioner unset \(checkpoint: gated-residual\)/);
    expect(await main(['train', '--out', temp(), '--conditioner', 'gated-residual', '--channels', '8,8', ...glow, ...rest])).toBe(2);
    expect(printed.stderr).toMatch(
      /--conditioner gated-residual takes one --channels entry \(the residual stream's channels\), got --channels 8,8; try --channels 8/,
    );
    expect(await main(['train', '--out', temp(), '--blocks', '3', ...glow, ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--blocks applies to --conditioner gated-residual only/);
    expect(await main(['train', '--out', temp(), '--conditioner', 'gated-residual', '--limit', '30', ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--conditioner applies to --architecture multiscale only/);
  });

  it("--dequantization variational: the flow and Flow++'s q train together on the bound, the checkpoint holds both, model/ is the flow; refused by name where it does not apply", async () => {
    const out = temp();
    const glow = ['--architecture', 'multiscale', '--steps-per-level', '1', '--channels', '4', '--limit', '40', '--batch-size', '20'];
    const rest = ['--dequantization', 'variational', '--backend', 'cpu', '--quiet'];
    expect(await main(['train', '--out', out, '--epochs', '1', ...glow, ...rest])).toBe(0);
    expect(printed.stdout).toMatch(/test bpd: +\d\.\d{4} \(variational dequantization \(Flow\+\+\): x = \(v \+ u\)\/256 with u drawn from the learned q/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings.dequantization).toBe('variational');
    // The checkpoint holds the pair; its flow on logits is model/, to the same density.
    const { VariationalDequantization } = await import('@flows/distributions');
    const { loadCheckpoint } = await import('@flows/flows');
    const { logitFlowOf } = await import('./variational-run.js');
    const checkpoint = await loadCheckpoint(join(out, 'checkpoint'), VariationalDequantization.fromJSON);
    const flow = await loadModel(join(out, 'model'));
    const x = tf.randomNormal([3, 28, 28, 1], 0, 2, 'float32', 5);
    const inPair = logitFlowOf(checkpoint.model);
    expect(Array.from(flow.logProb(x).dataSync())).toEqual(Array.from(inPair.logProb(x).dataSync()));
    // The recorded figure is the pair's bound on the test images (one draw of q each, seeded).
    const { pixelData, variationalTestScore } = await import('./variational-run.js');
    const { loadMnist } = await import('@flows/datasets');
    const { nll } = await variationalTestScore(checkpoint.model, pixelData(await loadMnist('test'), 40, false));
    expect(metrics.epochs[0].testNll).toBeCloseTo(nll, 3);
    tf.dispose(x);
    flow.dispose();
    checkpoint.model.dispose();
    const firstModel = join(temp(), 'model-of-epoch-1');
    cpSync(join(out, 'model'), firstModel, { recursive: true });
    // It resumes (q's weights and the generator come back) and the model/ it writes samples and evaluates as any run's.
    expect(await main(['train', '--out', out, '--epochs', '2', '--resume', ...glow, ...rest])).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).epochs;
    expect(rows).toHaveLength(2);
    // eval of model/ scores the run's bound, with q from the checkpoint beside it: the run's last figure.
    printed.stdout = '';
    expect(await main(['eval', '--model', join(out, 'model'), '--limit', '40', '--backend', 'cpu'])).toBe(0);
    expect(printed.stderr).toMatch(/model: .*model, with its q from .*checkpoint \(epoch 2\)/);
    expect(printed.stdout).toContain(`test bpd:  ${rows[1].testBpd.toFixed(4)}`);
    // model/ alone (copied away from its run): the flow, scored with uniform noise, and a note saying so.
    const alone = join(temp(), 'model');
    cpSync(join(out, 'model'), alone, { recursive: true });
    expect(await main(['eval', '--model', alone, '--limit', '20', '--backend', 'cpu'])).toBe(0);
    expect(printed.stderr).toMatch(/note: this flow was trained with variational dequantization .* its q, kept in the run's checkpoint\/, is not beside it/);
    // Beside a checkpoint of another epoch (a resumed run stopped part-way): not that checkpoint's q.
    const mixed = temp();
    cpSync(firstModel, join(mixed, 'model'), { recursive: true });
    cpSync(join(out, 'checkpoint'), join(mixed, 'checkpoint'), { recursive: true });
    expect(await main(['eval', '--model', join(mixed, 'model'), '--limit', '20', '--backend', 'cpu'])).toBe(0);
    expect(printed.stderr).toMatch(/note: .*the run's checkpoint\/ beside it, which holds q, is of epoch 2, not of this model's 1/);
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '4', '--out', join(out, 'four.png'), '--backend', 'cpu'])).toBe(0);
    expect(await main(['interpolate', '--model', out, '--steps', '3', '--out', join(out, 'between.png'), '--backend', 'cpu'])).toBe(0);
    // Resumed without the option: uniform noise is not the checkpoint's training.
    expect(await main(['train', '--out', out, '--epochs', '3', '--resume', ...glow, '--backend', 'cpu', '--quiet'])).toBe(2);
    expect(printed.stderr).toMatch(/--dequantization unset \(checkpoint: variational\)/);
    expect(await main(['train', '--out', temp(), '--limit', '20', ...rest])).toBe(2);
    expect(printed.stderr).toMatch(/--dequantization variational applies to --architecture multiscale only \(got --architecture coupling\)/);
    for (const flag of [['--validation', '10'], ['--conditional'], ['--exercise-scaling']]) {
      expect(await main(['train', '--out', temp(), ...flag, ...glow, ...rest])).toBe(2);
      expect(printed.stderr).toMatch(new RegExp(`--dequantization variational does not take ${flag[0]} `));
    }
  });

  it('the latent of a multi-scale flow with learned priors maps back to the images (interpolation corners)', async () => {
    const { multiScaleFlow } = await import('@flows/flows');
    const flow = multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: 1, hidden: [4], seed: 3, prior: 'conditional' });
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 4);
    flow.logProb(x).dispose();
    tf.tidy(() => flow.trainableVariables.forEach((v, i) => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.05, 0.05, 'float32', i)))));
    const latent = toLatent(flow, x);
    expect(latent.shape).toEqual([2, 784]);
    const back = fromLatent(flow, latent);
    expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]).toBeLessThan(1e-3);
    tf.dispose([x, latent, back]);
    flow.dispose();
  });

  it('the shipped multi-scale flow (pretrained:mnist-multiscale) evaluates to its card and samples, with nothing trained', async () => {
    // The card's check (@flows/pretrained's cards.ts): 1.085424… bits/dim on the first 50 test images, noise seed 12345.
    printed.stdout = '';
    expect(await main(['eval', '--model', 'pretrained:mnist-multiscale', '--limit', '50', '--backend', 'wasm'])).toBe(0);
    expect(printed.stdout).toContain('test bpd:  1.0854');
    const out = temp();
    expect(await main(['sample', '--model', 'pretrained:mnist-multiscale', '--n', '4', '--out', join(out, 'digits.png'), '--backend', 'wasm'])).toBe(0);
    expect(gridSize(join(out, 'digits.svg')).width).toBeGreaterThan(0);
  });

  it('interpolation reproduces the four codes at the corners', () => {
    const z = tf.tensor2d([
      [1, 0],
      [0, 1],
      [2, 2],
      [-1, 3],
    ]);
    const grid = interpolationLatents(z, 3).arraySync();
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    close(grid[0], [1, 0]);
    close(grid[2], [0, 1]);
    close(grid[6], [2, 2]);
    close(grid[8], [-1, 3]);
  });
});
