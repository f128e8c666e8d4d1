import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { main } from './main.js';

const printed = captureConsole({ processStdout: true });

const temp = () => mkdtempSync(join(tmpdir(), 'toy-flow-'));

describe('toy-flow CLI', () => {
  it('--help on every command', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(printed.stdout).toMatch(/Commands:/);
    for (const command of ['train', 'logprob', 'sample', 'plot']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(new RegExp(`toy-flow ${command}`));
      expect(printed.stdout).toMatch(/--help/);
    }
  });

  it('clear errors for bad options', async () => {
    const out = temp();
    expect(await main(['train', '--data', 'three-gaussians', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/unknown dataset 'three-gaussians'; expected one of two-gaussians/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--epochs', '-1'])).toBe(2);
    expect(printed.stderr).toMatch(/--epochs must be a positive integer, got '-1'/);
    // 0 epochs wrote an untrained model, and '' was read as 0.
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--epochs', '0'])).toBe(2);
    expect(printed.stderr).toMatch(/--epochs must be a positive integer, got '0'/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--epochs', ''])).toBe(2);
    expect(printed.stderr).toMatch(/--epochs needs a value: a positive integer/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--seed', ''])).toBe(2);
    expect(printed.stderr).toMatch(/--seed needs a value: a non-negative integer/);
    expect(await main(['trian', '--data', 'two-gaussians'])).toBe(2);
    expect(printed.stderr).toMatch(/toy-flow: unknown command 'trian'; did you mean 'train'\?/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--epoch', '3'])).toBe(2);
    expect(printed.stderr).toMatch(/Unknown option '--epoch'; did you mean --epochs\?/);
    expect(await main(['train', '--data', 'two-gaussians'])).toBe(2);
    expect(printed.stderr).toMatch(/missing required option --out/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--hidden', '64,x'])).toBe(2);
    expect(printed.stderr).toMatch(/--hidden must be a comma-separated list/);
    expect(await main(['train', '--data', 'two-gaussians', '--out', out, '--frobnicate'])).toBe(2);
    expect(printed.stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(await main(['train', '--data', '/nonexistent/points.csv', '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/\/nonexistent\/points\.csv: file not found/);
    const bad = join(out, 'bad.csv');
    writeFileSync(bad, 'x,y\n1,2\n3,abc\n');
    expect(await main(['train', '--data', bad, '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/bad\.csv: line 3, column 2: 'abc' is not a finite number/);
    expect(await main(['sample', '--model', '/nonexistent/model', '--backend', 'cpu'])).toBe(1);
    expect(printed.stderr).toMatch(/model directory not found/);
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
    expect(printed.stderr).toBe('backend: cpu (option)\n');
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
    printed.stdout = '';
    expect(await main(['logprob', '--model', join(out, 'model'), '--input', points, '--backend', 'cpu'])).toBe(0);
    const values = printed.stdout.trim().split('\n').map(Number);
    expect(values).toHaveLength(3);
    expect(values[0]).toBeGreaterThan(values[2]);

    printed.stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    printed.stdout = '';
    expect(await main(['plot', '--model', join(out, 'model'), '--data', 'two-gaussians', '--out', join(out, 'again'), '--backend', 'cpu'])).toBe(0);
    expect(decode(readFileSync(join(out, 'again', 'samples.png'))).width).toBeGreaterThan(640);
    expect(readFileSync(join(out, 'again', 'samples.svg'), 'utf8')).toContain('>model samples<');
    printed.stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toBe('x,y');
    expect(lines).toHaveLength(6);
    const first = printed.stdout;
    printed.stdout = '';
    await main(['sample', '--model', join(out, 'model'), '--n', '5', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu']);
    expect(printed.stdout).toBe(first);
    // Large --n streams in chunks: one header, every row, and the same stream as a single draw.
    printed.stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '250000', '--seed', '3', '--temperature', '0.5', '--backend', 'cpu'])).toBe(0);
    const many = printed.stdout.trim().split('\n');
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
    printed.stdout = '';
    expect(await main(['sample', '--model', join(out, 'standardised', 'model'), '--n', '2000', '--backend', 'cpu'])).toBe(0);
    const samples = printed.stdout
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
    expect(printed.stderr).toMatch(/warning: the model was trained on '.*banana\.csv', not 'two-gaussians'/);
  });

  it('refuses CSV points that would train a useless model with exit 0: an extreme row, values beyond float32, degenerate data', async () => {
    const out = temp();
    let seed = 1;
    const uniform = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const banana = ['x,y'];
    for (let i = 0; i < 3000; i++) {
      const [a, b] = [normal(), normal()];
      banana.push(`${10 + a},${10 + 0.5 * b + 0.5 * a * a - 0.5}`);
    }
    const file = (name: string, rows: string[]) => {
      const path = join(out, name);
      writeFileSync(path, `${rows.join('\n')}\n`);
      return path;
    };
    const train = (data: string, ...extra: string[]) =>
      main(['train', '--data', data, '--out', join(out, 'run'), '--layers', '2', '--hidden', '8', '--steps', '20', '--backend', 'cpu', '--quiet', ...extra]);
    // One row of 1e30 in a 3 000-point banana (line 3002: the header is line 1) made the standardisation useless (test NLL 67.8 against 3.1).
    const extreme = file('extreme.csv', [...banana, '1e30,0']);
    for (const extra of [[], ['--no-standardize']]) {
      printed.stderr = '';
      expect(await train(extreme, ...extra)).toBe(1);
      expect(printed.stderr).toMatch(
        /extreme\.csv: 1 row lies far outside the rest of the data, .*: line 3002, column 1 \(x\): 1e\+30 \(the column's median is 9\.99\d*\)\. That row alone outweighs all the others/,
      );
      expect(printed.stderr).toMatch(/Remove or repair these rows; if the values are real, pass --keep-outliers/);
      expect(printed.stderr).not.toMatch(/learning rate/);
    }
    expect(existsSync(join(out, 'run', 'metrics.json'))).toBe(false);
    // --keep-outliers trains on them, as asked; without standardisation 1e30 is still named.
    expect(await train(extreme, '--keep-outliers')).toBe(0);
    printed.stderr = '';
    expect(await train(extreme, '--keep-outliers', '--no-standardize')).toBe(1);
    expect(printed.stderr).toMatch(/line 3002, column 1 \(x\): 1e\+30 is beyond ±1e\+15, .*drop --no-standardize/);
    printed.stderr = '';
    expect(await train(file('huge.csv', [...banana.slice(0, 100), '1e39,0']), '--keep-outliers')).toBe(1);
    expect(printed.stderr).toMatch(/huge\.csv: line 101, column 1: '1e39' is beyond float32's range \(±3\.4e38\)/);
    printed.stderr = '';
    expect(await train(file('hex.csv', [...banana.slice(0, 100), '0x10,3']))).toBe(1);
    expect(printed.stderr).toMatch(/hex\.csv: line 101, column 1: '0x10' is not a decimal number .*write it as 16/);
    // Degenerate data: a constant column, all rows equal, points on a line, too few distinct rows.
    const degenerate: [string, string[], RegExp][] = [
      ['constant.csv', banana.map((row, i) => (i === 0 ? 'x,y' : `${row.split(',')[0]},4`)), /column 2 \(y\) is constant \(every row holds 4\)/],
      ['equal.csv', Array.from({ length: 50 }, () => '1.5,2.5'), /column 1 is constant \(every row holds 1\.5\)/],
      ['line.csv', Array.from({ length: 50 }, (_, i) => `${i},${3 - 2 * i}`), /column 2 is a linear function of column 1 \(the points lie on a line\)/],
      ['two-points.csv', Array.from({ length: 50 }, (_, i) => (i % 2 ? '0,1' : '2,5')), /column 2 is a linear function of column 1/],
    ];
    for (const [name, rows, message] of degenerate) {
      printed.stderr = '';
      expect(await train(file(name, rows))).toBe(1);
      expect(printed.stderr).toMatch(message);
      expect(printed.stderr).toMatch(/a density on such points is unbounded/);
    }
  });

  it('reads a first CSV row of nan or inf as data and refuses it, instead of dropping it as a header (logprob stays in line)', async () => {
    const out = temp();
    expect(
      await main([
        'train',
        '--data',
        'two-gaussians',
        '--out',
        out,
        '--train-size',
        '2000',
        '--test-size',
        '1000',
        '--layers',
        '2',
        '--hidden',
        '8',
        '--backend',
        'cpu',
        '--quiet',
      ]),
    ).toBe(0);
    for (const first of ['nan,nan', 'inf,inf', '-Infinity,1']) {
      const points = join(out, 'points.csv');
      writeFileSync(points, `${first}\n0.25,0.25\n0.75,0.75\n`);
      printed.stdout = '';
      printed.stderr = '';
      expect(await main(['logprob', '--model', join(out, 'model'), '--input', points, '--backend', 'cpu'])).toBe(1);
      expect(printed.stderr).toMatch(new RegExp(`points\\.csv: line 1, column 1: '${first.split(',')[0]}' is not a finite number`));
      expect(printed.stdout).toBe('');
    }
  });

  it('a CSV run trains 3000 optimizer steps by default, whatever the rows; a short run says so; --steps counts steps', async () => {
    const out = temp();
    const csv = join(out, 'points.csv');
    const rows = ['a,b'];
    for (let i = 0; i < 300; i++) rows.push(`${Math.sin(i) + 0.1 * Math.cos(7 * i)},${Math.cos(i)}`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const train = async (dir: string, ...extra: string[]) => {
      printed.stderr = '';
      const code = await main([
        'train',
        '--data',
        csv,
        '--out',
        join(out, dir),
        '--layers',
        '2',
        '--hidden',
        '8',
        '--batch-size',
        '100',
        '--backend',
        'cpu',
        ...extra,
      ]);
      return { code, metrics: code === 0 ? JSON.parse(readFileSync(join(out, dir, 'metrics.json'), 'utf8')) : null };
    };
    // 270 training rows at batch 100 are 3 steps an epoch: one epoch (the old default) was 3 steps.
    const short = await train('short', '--epochs', '1');
    expect(short.code).toBe(0);
    expect(short.metrics.steps).toBe(3);
    const warning =
      'this run takes only 3 optimizer steps (270 training rows at --batch-size 100 make 3 steps an epoch): too few for the model to converge (fewer than 100; the default is 3000). Pass --steps 3000 or --epochs 1000, or leave out --epochs for the default';
    expect(printed.stderr).toContain(`warning: ${warning}`);
    expect(short.metrics.warnings).toEqual([warning]);
    const stepped = await train('stepped', '--steps', '7', '--quiet');
    expect(stepped.metrics.steps).toBe(7);
    expect(stepped.metrics.settings).toMatchObject({ steps: 7, epochs: null });
    expect(stepped.metrics.warnings).toEqual([expect.stringContaining('only 7 optimizer steps (--steps 7)')]);
    expect(printed.stderr).not.toMatch(/warning/);
    const both = await train('both', '--steps', '7', '--epochs', '2');
    expect(both.code).toBe(2);
    expect(printed.stderr).toMatch(/give --epochs \(passes over the data\) or --steps \(optimizer steps\), not both/);
    const byDefault = await train('default', '--quiet');
    expect(byDefault.code).toBe(0);
    expect(byDefault.metrics.steps).toBe(3000);
    expect(byDefault.metrics.warnings).toEqual([]);
    expect(byDefault.metrics.testNll).toBeLessThan(short.metrics.testNll - 0.5);
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
      printed.stdout = '';
      expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--backend', 'cpu'])).toBe(0);
      expect(printed.stdout.trim().split('\n')).toHaveLength(6);
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
    expect(printed.stdout).toMatch(/conditional: −log p\(x \| component\), 8 components/);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).entropy).toBeCloseTo(-1.7673, 3);
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '5', '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/pass --label 0…7/);
    printed.stdout = '';
    expect(await main(['sample', '--model', join(out, 'model'), '--n', '400', '--label', '0', '--backend', 'cpu'])).toBe(0);
    expect(await main(['train', '--data', 'chequerboard', '--conditional', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/--conditional needs a toy with labelled components/);
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
      // A small model diverges the same way, in a second instead of minutes on the cpu backend.
      '--layers',
      '2',
      '--hidden',
      '16',
      '--backend',
      'cpu',
      '--quiet',
    ]);
    expect(code).toBe(1);
    expect(printed.stderr).toMatch(/the run diverged|NaN or infinite/);
    expect(printed.stderr).toMatch(/lower learning rate/);
    // In toy-flow's flags, not the library's option names.
    expect(printed.stderr).toMatch(/Try a lower learning rate \(--lr[;)].*a gradient-norm clip \(--clip-norm\)/);
    expect(printed.stderr).not.toMatch(/clipNorm|scaleTanh|learningRate/);
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
    expect(printed.stderr).not.toMatch(/call stack/);
    expect(code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Number.isFinite(metrics.logZEstimate)).toBe(true);
    expect(printed.stdout).toMatch(/log Z: /);
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
    expect(printed.stdout).toMatch(/log Z: /);
    const picture = decode(readFileSync(join(out, 'density.png')));
    expect(picture.width).toBeGreaterThan(1.5 * picture.height);
    expect(readFileSync(join(out, 'density.svg'), 'utf8')).toContain('>banana: model density and target density<');
    expect(readFileSync(join(out, 'training.svg'), 'utf8')).toContain('>reverse KL − log Z<');
    expect(await main(['train', '--target', 'chequerboard', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/reverse KL is infinite/);
    expect(await main(['train', '--target', 'u1', '--data', 'two-gaussians', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(printed.stderr).toMatch(/either --data .* or --target/);
  });
});
