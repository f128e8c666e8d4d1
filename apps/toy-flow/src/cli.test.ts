import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

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
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const temp = () => mkdtempSync(join(tmpdir(), 'toy-flow-'));

describe('toy-flow CLI', () => {
  it('--help on every command', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(stdout).toMatch(/Commands:/);
    for (const command of ['train', 'logprob', 'sample', 'plot']) {
      stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(stdout).toMatch(new RegExp(`toy-flow ${command}`));
      expect(stdout).toMatch(/--help/);
    }
  });

  it('clear errors for bad options', async () => {
    const out = temp();
    expect(await main(['train', '--data', 'three-gaussians', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/unknown dataset 'three-gaussians'; expected one of two-gaussians/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--epochs', '-1'])).toBe(2);
    expect(stderr).toMatch(/--epochs must be a non-negative integer, got '-1'/);
    expect(await main(['train', '--data', 'two-gaussians'])).toBe(2);
    expect(stderr).toMatch(/missing required option --out/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--hidden', '64,x'])).toBe(2);
    expect(stderr).toMatch(/--hidden must be a comma-separated list/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--frobnicate'])).toBe(2);
    expect(stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(await main(['train', '--data', '/nonexistent/points.csv', '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(stderr).toMatch(/\/nonexistent\/points\.csv: file not found/);
    const bad = join(out, 'bad.csv');
    writeFileSync(bad, 'x,y\n1,2\n3,abc\n');
    expect(await main(['train', '--data', bad, '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(stderr).toMatch(/bad\.csv: line 3, column 2: 'abc' is not a finite number/);
    expect(await main(['sample', '--model', '/nonexistent/model', '--backend', 'cpu'])).toBe(1);
    expect(stderr).toMatch(/model directory not found/);
    expect(await main(['fly'])).toBe(2);
  });

  it('train, logprob and sample end to end on a tiny run', async () => {
    const out = temp();
    const code = await main([
      'train',
      '--data',
      'two-gaussians',
      '--out',
      out,
      '--train-size',
      '20000',
      '--test-size',
      '5000',
      '--layers',
      '2',
      '--hidden',
      '16',
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(stderr).toBe('backend: cpu (option)\n');
    expect(code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ dataset: 'two-gaussians', backend: 'cpu', testSize: 5000 });
    expect(metrics.kl).toBeCloseTo(metrics.testNll - metrics.entropy, 10);
    expect(metrics.entropy).toBeCloseTo(-1.2674, 3);
    const png = decode(readFileSync(join(out, 'density.png')));
    expect(png.width).toBeGreaterThan(1.5 * png.height);
    const densitySvg = readFileSync(join(out, 'density.svg'), 'utf8');
    for (const text of ['two-gaussians: model density and true density', 'model', 'true density', 'x₁', 'x₂', 'density'])
      expect(densitySvg).toContain(`>${text}<`);
    expect(metrics.history.length).toBeGreaterThan(0);
    expect(metrics.history[0]).toMatchObject({ step: expect.any(Number), loss: expect.any(Number), learningRate: expect.any(Number) });
    const curves = readFileSync(join(out, 'training.svg'), 'utf8');
    for (const text of ['training', 'negative log-likelihood', 'learning rate', 'step']) expect(curves).toContain(`>${text}<`);
    expect(decode(readFileSync(join(out, 'training.png'))).width).toBeGreaterThan(500);

    const points = join(out, 'points.csv');
    writeFileSync(points, 'x,y\n0.25,0.25\n0.75,0.75\n5,5\n');
    stdout = '';
    expect(await main(['logprob', '--model', join(out, 'model'), '--input', points, '--backend', 'cpu'])).toBe(0);
    const values = stdout.trim().split('\n').map(Number);
    expect(values).toHaveLength(3);
    expect(values[0]).toBeGreaterThan(values[2]);

    stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    stdout = '';
    expect(await main(['plot', '--model', join(out, 'model'), '--data', 'two-gaussians', '--out', join(out, 'again'), '--backend', 'cpu'])).toBe(0);
    expect(decode(readFileSync(join(out, 'again', 'samples.png'))).width).toBeGreaterThan(640);
    expect(readFileSync(join(out, 'again', 'samples.svg'), 'utf8')).toContain('>model samples<');
    stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('x,y');
    expect(lines).toHaveLength(6);
    const first = stdout;
    stdout = '';
    await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu']);
    expect(stdout).toBe(first);
    // Large --n streams in chunks: one header, every row, and the same stream as a single draw.
    stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '250000', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    const many = stdout.trim().split('\n');
    expect(many).toHaveLength(250_001);
    expect(many.filter((line) => line === 'x,y')).toHaveLength(1);
    expect(many.slice(0, 6).join('\n')).toBe(first.trim());
  });

  it('standardises CSV data by default (a banana centred at (10, 10)), draws the data behind the samples, and plot warns about another toy', async () => {
    const out = temp();
    const csv = join(out, 'banana.csv');
    let seed = 1;
    const uniform = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const rows = ['x,y'];
    for (let i = 0; i < 3000; i++) {
      const [a, b] = [normal(), normal()];
      rows.push(`${10 + a},${10 + 0.5 * b + 0.5 * a * a - 0.5}`);
    }
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const run = async (dir: string, extra: string[]) => {
      expect(
        await main([
          'train',
          '--data',
          csv,
          '--out',
          dir,
          '--layers',
          '4',
          '--hidden',
          '16',
          '--epochs',
          '10',
          '--batch-size',
          '100',
          '--backend',
          'cpu',
          '--quiet',
          ...extra,
        ]),
      ).toBe(0);
      return JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    };
    const standardised = await run(join(out, 'standardised'), []);
    const raw = await run(join(out, 'raw'), ['--no-standardize']);
    expect(standardised.settings.standardized).toBe(true);
    expect(raw.settings.standardized).toBe(false);
    // Same model and budget: the standardised run is far better in the data's own units (measured 2.31 vs 7.46 nats).
    expect(standardised.testNll).toBeLessThan(raw.testNll - 2);
    // The last forward layer maps standardised values back to the data: y = μ + σ ⊙ x, μ near (10, 10).
    const saved = JSON.parse(readFileSync(join(out, 'standardised', 'model', 'model.json'), 'utf8'));
    const layers = saved.model.config.bijector.config.bijectors;
    expect(layers[layers.length - 1].className).toBe('ElementwiseAffine');
    stdout = '';
    expect(await main(['sample', '--model', join(out, 'standardised', 'model'), '--n', '2000', '--backend', 'cpu'])).toBe(0);
    const samples = stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number));
    const meanX = samples.reduce((sum, [x]) => sum + x, 0) / samples.length;
    expect(Math.abs(meanX - 10)).toBeLessThan(0.3);
    // samples.png: the data in blue behind the red samples.
    const picture = decode(readFileSync(join(out, 'standardised', 'samples.png')));
    let blue = 0;
    for (let i = 0; i < picture.data.length; i += picture.channels)
      if (picture.data[i + 2] > picture.data[i] + 60 && picture.data[i + 2] > picture.data[i + 1] + 30) blue += 1;
    expect(blue).toBeGreaterThan(100);
    // plot against a toy the model never saw: a warning, then the pictures.
    expect(await main(['plot', '--model', join(out, 'standardised', 'model'), '--data', 'two-gaussians', '--out', join(out, 'plot'), '--backend', 'cpu'])).toBe(
      0,
    );
    expect(stderr).toMatch(/warning: the model was trained on '.*banana\.csv', not 'two-gaussians'/);
  });

  it('trains on a CSV of the user’s own points, in any dimension', async () => {
    const out = temp();
    const csv = join(out, 'points.csv');
    const rows = ['a,b,c'];
    for (let i = 0; i < 400; i++) rows.push(`${Math.sin(i)},${Math.cos(i)},${(i % 7) / 7}`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    expect(
      await main([
        'train',
        '--data',
        csv,
        '--out',
        out,
        '--layers',
        '2',
        '--hidden',
        '8',
        '--epochs',
        '2',
        '--batch-size',
        '50',
        '--backend',
        'cpu',
        '--quiet',
      ]),
    ).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.entropy).toBeNull();
    expect(metrics.kl).toBeNull();
    expect(Number.isFinite(metrics.testNll)).toBe(true);
  });

  it('trains a spline flow (the plugin), a MAF and a conditional flow, and reloads each', async () => {
    for (const flow of ['spline', 'spline-ar', 'maf']) {
      const out = temp();
      const code = await main([
        'train',
        '--data',
        'two-gaussians',
        '--out',
        out,
        '--flow',
        flow,
        '--train-size',
        '2000',
        '--test-size',
        '1000',
        '--layers',
        '2',
        '--hidden',
        '8',
        '--bins',
        '4',
        '--backend',
        'cpu',
        '--quiet',
      ]);
      expect(code).toBe(0);
      const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
      expect(Number.isFinite(metrics.testNll)).toBe(true);
      stdout = '';
      expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--backend', 'cpu'])).toBe(0);
      expect(stdout.trim().split('\n')).toHaveLength(6);
    }
    const out = temp();
    expect(
      await main([
        'train',
        '--data',
        'eight-gaussians',
        '--conditional',
        '--out',
        out,
        '--train-size',
        '4000',
        '--test-size',
        '2000',
        '--layers',
        '2',
        '--hidden',
        '8',
        '--backend',
        'cpu',
        '--quiet',
      ]),
    ).toBe(0);
    expect(stdout).toMatch(/conditional: −log p\(x \| component\), 8 components/);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).entropy).toBeCloseTo(-1.7673, 3);
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/pass --label 0…7/);
    stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '400', '--label', '0', '--backend', 'cpu'])).toBe(0);
    expect(await main(['train', '--data', 'chequerboard', '--conditional', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/--conditional needs a toy with labelled components/);
  });

  it('a diverging run (--lr 10) ends with exit code 1 and a message, not a model with a huge test NLL', async () => {
    const out = temp();
    const code = await main([
      'train',
      '--data',
      'two-gaussians',
      '--out',
      out,
      '--train-size',
      '100000',
      '--test-size',
      '2000',
      '--lr',
      '10',
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/the run diverged|NaN or infinite/);
    expect(stderr).toMatch(/lower learning rate/);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  });

  it('--target with the default --test-size (200 000 evaluation samples) finishes', async () => {
    // The log-normaliser estimate once spread 200 000 log-weights into Math.max and overflowed the stack.
    const out = temp();
    const code = await main([
      'train',
      '--target',
      'u1',
      '--out',
      out,
      '--train-size',
      '20000',
      '--batch-size',
      '500',
      '--layers',
      '2',
      '--hidden',
      '8',
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(stderr).not.toMatch(/call stack/);
    expect(code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Number.isFinite(metrics.logZEstimate)).toBe(true);
    expect(stdout).toMatch(/log Z: /);
  });

  it('fits a flow to an unnormalised target by reverse KL (--target)', async () => {
    const out = temp();
    const code = await main([
      'train',
      '--target',
      'banana',
      '--out',
      out,
      '--train-size',
      '60000',
      '--batch-size',
      '300',
      '--test-size',
      '3000',
      '--layers',
      '2',
      '--hidden',
      '8',
      '--lr',
      '0.01',
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.mode).toBe('reverse-kl');
    expect(metrics.steps).toBe(200);
    expect(metrics.kl).toBeGreaterThan(-0.05);
    expect(metrics.kl).toBeLessThan(1);
    expect(stdout).toMatch(/log Z: /);
    const picture = decode(readFileSync(join(out, 'density.png')));
    expect(picture.width).toBeGreaterThan(1.5 * picture.height);
    expect(readFileSync(join(out, 'density.svg'), 'utf8')).toContain('>banana: model density and target density<');
    expect(readFileSync(join(out, 'training.svg'), 'utf8')).toContain('>reverse KL − log Z<');
    expect(await main(['train', '--target', 'chequerboard', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/reverse KL is infinite/);
    expect(await main(['train', '--target', 'u1', '--data', 'two-gaussians', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(stderr).toMatch(/either --data .* or --target/);
  });
});
