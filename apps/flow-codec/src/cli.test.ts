import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist, MNIST_BINARIZATION_SEEDS, stochasticallyBinarized } from '@flows/datasets';
import { Adam, saveCheckpoint } from '@flows/flows';
import { Random } from '@flows/core';
import { pretrainedCard } from '@flows/pretrained';
import { buildVAE } from '@flows/vae-priors';
import sharp from 'sharp';
import { captureConsole } from '@flows/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng, formatIdxImages } from './images.js';
import { main } from './main.js';

const printed = captureConsole();

const root = mkdtempSync(join(tmpdir(), 'flow-codec-cli-'));
const idf = join(root, 'idf');
const otherIdf = join(root, 'idf-other');
const vaeRun = join(root, 'vae', 'flow', 'run-1');
let testImages: Uint8Array;
const BACKEND = ['--backend', 'cpu', '--quiet'];

async function run(...argv: string[]): Promise<number> {
  return main([...argv, ...BACKEND]);
}

beforeAll(async () => {
  testImages = Uint8Array.from((await loadMnist('test')).images);
  // Two tiny integer flows (different seeds; the second in two levels), and a tiny VAE saved as vae-eval saves its runs.
  for (const [out, seed, levels] of [
    [idf, '0', '1'],
    [otherIdf, '1', '2'],
  ])
    expect(
      await run(
        'train',
        '--out',
        out,
        '--limit',
        '300',
        '--epochs',
        '1',
        '--layers',
        '2',
        '--hidden',
        '16',
        '--prior-hidden',
        '16',
        '--levels',
        levels,
        '--seed',
        seed,
      ),
    ).toBe(0);
  await tf.setBackend('cpu');
  const vae = buildVAE({ prior: 'flow', latentSize: 2, hidden: [16], flowLayers: 2, flowHidden: [8], seed: 1 });
  const optimizer = new Adam(vae.trainableVariables);
  await saveCheckpoint(join(vaeRun, 'checkpoint'), {
    model: vae,
    optimizerState: await optimizer.readState(),
    randomState: new Random(0).getState(),
    epoch: 1,
  });
  vae.dispose();
  optimizer.dispose();
}, 600_000);

describe('flow-codec', () => {
  it("a diverging run's advice names flow-codec's flag (--lr), not the library's options", async () => {
    const out = mkdtempSync(join(tmpdir(), 'flow-codec-lr-'));
    const tinyRun = ['--limit', '64', '--batch-size', '32', '--epochs', '3', '--layers', '1', '--levels', '1', '--hidden', '4', '--components', '1'];
    expect(await run('train', '--out', out, ...tinyRun, '--lr', '1000')).toBe(1);
    expect(printed.stderr).toMatch(/the run diverged|NaN or infinite/);
    expect(printed.stderr).toMatch(/Try a lower learning rate \(--lr[;)]/);
    expect(printed.stderr).not.toMatch(/clipNorm|scaleTanh|learningRate/);
  });

  it('has --help for every command and names bad usage', async () => {
    for (const command of ['train', 'compress', 'decompress', 'compare']) {
      printed.stdout = '';
      expect(await main([command, '--help'])).toBe(0);
      expect(printed.stdout).toMatch(new RegExp(`flow-codec ${command}`));
    }
    expect(await main([])).toBe(2);
    expect(await run('compress', '--model', idf, '--input', 'mnist-test')).toBe(2);
    expect(printed.stderr).toMatch(/missing required.*--out/);
    expect(await run('compare', '--out', join(root, 'nothing'))).toBe(2);
    expect(printed.stderr).toMatch(/give --vae, --idf, --flow or several/);
    expect(await run('compress', '--model', join(root, 'no-model'), '--input', 'mnist-test', '--out', join(root, 'x.fcod'))).toBe(2);
    expect(printed.stderr).toMatch(/no model.json or checkpoint.json/);
  });

  it('codes 8-bit images with an integer flow and gives them back byte for byte', async () => {
    const file = join(root, 'idf.fcod');
    expect(await run('compress', '--model', idf, '--input', 'mnist-test', '--limit', '40', '--out', file)).toBe(0);
    expect(printed.stdout).toMatch(/idf.fcod: \d+ bytes, [\d.]+ bits\/dim \(8-bit images\)/);
    const out = join(root, 'idf-out');
    expect(await run('decompress', file, '--model', idf, '--out', out)).toBe(0);
    const decoded = readFileSync(join(out, 'mnist-test-images-idx3-ubyte'));
    expect(new Uint8Array(decoded)).toEqual(
      formatIdxImages({ pixels: testImages.slice(0, 40 * 784), count: 40, height: 28, width: 28, source: { kind: 'idx' } }),
    );
    // A two-level flow (odd pixels factored out under a mixture conditioned on the even ones) codes them too.
    const twoLevels = join(root, 'idf-levels.fcod');
    expect(await run('compress', '--model', otherIdf, '--input', 'mnist-test', '--limit', '40', '--out', twoLevels)).toBe(0);
    expect(printed.stderr).toMatch(/in 2 levels, factored out under conditional mixtures/);
    expect(await run('decompress', twoLevels, '--model', otherIdf, '--out', join(root, 'idf-levels-out'))).toBe(0);
    expect(new Uint8Array(readFileSync(join(root, 'idf-levels-out', 'mnist-test-images-idx3-ubyte')))).toEqual(new Uint8Array(decoded));
    // The same file, decoded again into the same folder, is refused rather than overwritten.
    expect(await run('decompress', file, '--model', idf, '--out', out)).toBe(2);
    expect(printed.stderr).toMatch(/exists; decompress writes a new folder/);
  });

  it('trains the convolutional integer flow (--architecture conv) and codes with it byte for byte', async () => {
    const conv = join(root, 'idf-conv');
    const tiny = ['--limit', '100', '--epochs', '1', '--batch-size', '25', '--layers', '1', '--channels', '4', '--prior-hidden', '8', '--components', '2'];
    expect(await run('train', '--out', conv, '--architecture', 'conv', '--clip-norm', '100', ...tiny)).toBe(0);
    expect(JSON.parse(readFileSync(join(conv, 'metrics.json'), 'utf8')).settings).toMatchObject({
      architecture: 'conv',
      channels: [4],
      levels: 2,
      clipNorm: 100,
    });
    const file = join(root, 'idf-conv.fcod');
    expect(await run('compress', '--model', conv, '--input', 'mnist-test', '--limit', '20', '--out', file)).toBe(0);
    expect(await run('decompress', file, '--model', conv, '--out', join(root, 'idf-conv-out'))).toBe(0);
    expect(new Uint8Array(readFileSync(join(root, 'idf-conv-out', 'mnist-test-images-idx3-ubyte')))).toEqual(
      formatIdxImages({ pixels: testImages.slice(0, 20 * 784), count: 20, height: 28, width: 28, source: { kind: 'idx' } }),
    );
    expect(await run('train', '--out', join(root, 'idf-conv-3'), '--architecture', 'conv', '--levels', '3', ...tiny)).toBe(2);
    expect(printed.stderr).toMatch(/--levels 3: --architecture conv squeezes 28 × 28 images at most twice \(to 7 × 7\); use --levels 1 or 2/);
  }, 300_000);

  it('names a wrong model, a corrupt, truncated or newer file, and writes nothing then', async () => {
    const file = join(root, 'idf-for-errors.fcod');
    expect(await run('compress', '--model', idf, '--input', 'mnist-test', '--limit', '10', '--out', file)).toBe(0);
    const bytes = readFileSync(file);
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['wrong-model', bytes, otherIdf, /written with another model/],
      ['truncated', bytes.subarray(0, bytes.length - 100), idf, /is truncated/],
      ['corrupt', Uint8Array.from(bytes, (b, k) => (k === bytes.length - 200 ? b ^ 0x10 : b)), idf, /is corrupt: its digest does not match/],
      ['newer', Uint8Array.from(bytes, (b, k) => (k === 8 ? 9 : b)), idf, /has format version 9, newer than/],
      ['not-ours', new TextEncoder().encode('GIF89a, not a codec file'), idf, /is not a flows codec file/],
    ];
    for (const [name, content, model, message] of cases) {
      const path = join(root, `${name}.fcod`);
      writeFileSync(path, content);
      const out = join(root, `${name}-out`);
      expect(await run('decompress', path, '--model', model, '--out', out)).toBe(1);
      expect(printed.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(root).some((entry) => entry.startsWith(`${name}-out.partial`))).toBe(false);
    }
  });

  it('codes a folder of PNGs and writes them back under their names', async () => {
    const folder = join(root, 'pngs');
    await mkdir(folder);
    for (let k = 0; k < 5; k++) await writeFile(join(folder, `digit-${k}.png`), await encodePng(testImages.subarray(k * 784, (k + 1) * 784), 28, 28));
    const file = join(root, 'pngs.fcod');
    expect(await run('compress', '--model', idf, '--input', folder, '--out', file)).toBe(0);
    const out = join(root, 'pngs-out');
    expect(await run('decompress', file, '--model', idf, '--out', out)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['digit-0.png', 'digit-1.png', 'digit-2.png', 'digit-3.png', 'digit-4.png']);
    for (let k = 0; k < 5; k++) {
      const pixels = new Uint8Array(
        await sharp(join(out, `digit-${k}.png`))
          .extractChannel(0)
          .raw()
          .toBuffer(),
      );
      expect(pixels).toEqual(testImages.slice(k * 784, (k + 1) * 784));
    }
  });

  it('codes binarized images with a VAE by bits-back coding, and decodes them exactly', async () => {
    const file = join(root, 'vae.fcod');
    expect(await run('compress', '--model', join(root, 'vae', 'flow', 'run-1'), '--input', 'mnist-test', '--limit', '12', '--out', file)).toBe(0);
    expect(printed.stdout).toMatch(/bits\/dim \(binarized images\)/);
    // The fixed part of the file (container, description, seed words) apart from the per-image rate, adding up to the file.
    const split = printed.stdout.match(
      /per file: (\d+) bytes \(the container and description (\d+), the initial bits-back words (\d+)\), [\d.]+ % of it; per image: ([\d.]+) bits/,
    );
    expect(split, printed.stdout).not.toBeNull();
    const [fixed, container, seed, perImage] = split!.slice(1).map(Number);
    expect(container + seed).toBe(fixed);
    expect(seed % 4).toBe(0);
    expect(seed).toBeGreaterThanOrEqual(8);
    expect(Math.abs(fixed + (12 * perImage) / 8 - readFileSync(file).length)).toBeLessThan(1);
    const out = join(root, 'vae-out');
    expect(await run('decompress', file, '--model', vaeRun, '--out', out)).toBe(0);
    const decoded = new Uint8Array(readFileSync(join(out, 'mnist-test-images-idx3-ubyte'))).subarray(16);
    expect(decoded).toEqual(testImages.slice(0, 12 * 784).map((v) => (v >= 128 ? 255 : 0)));
    // A VAE file given to the integer flow is refused by the model's identity.
    expect(await run('decompress', file, '--model', idf, '--out', join(root, 'vae-wrong'))).toBe(1);
    expect(printed.stderr).toMatch(/written with another model/);
  });

  it('codes stochastically binarized images with a VAE (seeded), and refuses --binarization with an integer flow', async () => {
    const file = join(root, 'vae-stochastic.fcod');
    expect(await run('compress', '--model', vaeRun, '--input', 'mnist-test', '--limit', '6', '--binarization', 'stochastic', '--out', file)).toBe(0);
    expect(printed.stderr).toMatch(/stochastically binarized \(seed 0\)/);
    const out = join(root, 'vae-stochastic-out');
    expect(await run('decompress', file, '--model', vaeRun, '--out', out)).toBe(0);
    const decoded = new Uint8Array(readFileSync(join(out, 'mnist-test-images-idx3-ubyte'))).subarray(16);
    expect(decoded).toEqual(stochasticallyBinarized(testImages.slice(0, 6 * 784), MNIST_BINARIZATION_SEEDS.test));
    // Not the threshold's images: the draw is what was coded.
    expect(decoded).not.toEqual(testImages.slice(0, 6 * 784).map((v) => (v >= 128 ? 255 : 0)));
    expect(
      await run('compress', '--model', idf, '--input', 'mnist-test', '--limit', '2', '--binarization', 'stochastic', '--out', join(root, 'idf-bin.fcod')),
    ).toBe(2);
    expect(printed.stderr).toMatch(/--binarization stochastic: only a VAE codes binarized images/);
    expect(existsSync(join(root, 'idf-bin.fcod'))).toBe(false);
  });

  it('codes with the shipped models named pretrained:NAME (the VAE, the multi-scale flow, the integer flow), on a fresh install without training, and names the ones that cannot code', async () => {
    const file = join(root, 'shipped.fcod');
    const shipped = 'pretrained:mnist-vae-flow-stochastic';
    expect(await run('compress', '--model', shipped, '--input', 'mnist-test', '--limit', '4', '--binarization', 'stochastic', '--out', file)).toBe(0);
    expect(printed.stderr).toMatch(/VAE \(flow prior, 10 latents\) from .*mnist-vae-flow-stochastic/);
    const out = join(root, 'shipped-out');
    expect(await run('decompress', file, '--model', shipped, '--out', out)).toBe(0);
    const decoded = new Uint8Array(readFileSync(join(out, 'mnist-test-images-idx3-ubyte'))).subarray(16);
    expect(decoded).toEqual(stochasticallyBinarized(testImages.slice(0, 4 * 784), MNIST_BINARIZATION_SEEDS.test));
    expect(await run('compress', '--model', 'pretrained:mnist-glow', '--input', 'mnist-test', '--out', join(root, 'none.fcod'))).toBe(2);
    expect(printed.stderr).toMatch(/--model: no pretrained model is called 'mnist-glow'; the shipped models are .*mnist-vae-flow-stochastic/);
    // The shipped multi-scale flow codes 8-bit images by local bits-back; the toys' flows cannot, and say what can.
    const flowFile = join(root, 'shipped-flow.fcod');
    expect(await run('compress', '--model', 'pretrained:mnist-multiscale', '--input', 'mnist-test', '--limit', '3', '--out', flowFile)).toBe(0);
    expect(printed.stderr).toMatch(/continuous flow \(8 affine couplings in 2 levels, logit α 0.000001\) from .*mnist-multiscale.*, coded by local bits-back/);
    expect(await run('decompress', flowFile, '--model', 'pretrained:mnist-multiscale', '--out', join(root, 'shipped-flow-out'))).toBe(0);
    const flowDecoded = new Uint8Array(readFileSync(join(root, 'shipped-flow-out', 'mnist-test-images-idx3-ubyte'))).subarray(16);
    expect(flowDecoded).toEqual(Uint8Array.from(testImages.slice(0, 3 * 784)));
    // The shipped integer flow (weights at half precision but its coupling networks' output biases):
    // the file of its card's check images is the card's length to the byte (the codec's arithmetic is
    // exact: the card was measured with the native kernels, this runs on cpu), and decodes to them.
    const check = pretrainedCard('mnist-idf').check;
    if (check.kind !== 'mnist-8bit-bits-per-dim') throw new Error('the integer flow has an 8-bit check');
    const idfFile = join(root, 'shipped-idf.fcod');
    expect(await run('compress', '--model', 'pretrained:mnist-idf', '--input', 'mnist-test', '--limit', String(check.images), '--out', idfFile)).toBe(0);
    expect(printed.stderr).toMatch(/integer discrete flow \(12 couplings in 3 levels, .*\) from .*mnist-idf/);
    expect(readFileSync(idfFile).length).toBe(check.fileBytes);
    expect(await run('decompress', idfFile, '--model', 'pretrained:mnist-idf', '--out', join(root, 'shipped-idf-out'))).toBe(0);
    const idfDecoded = new Uint8Array(readFileSync(join(root, 'shipped-idf-out', 'mnist-test-images-idx3-ubyte'))).subarray(16);
    expect(idfDecoded).toEqual(Uint8Array.from(testImages.slice(0, check.images * 784)));
    for (const [model, reason] of [
      ['pretrained:chequerboard-cnf', /this is a continuous-time flow \(@flows\/continuous\), which flow-codec does not code; lossless coding needs/],
      [
        'pretrained:two-gaussians-realnvp',
        /this continuous density cannot be coded exactly \(.*convolutional networks only \(ConvNet; this coupling's are MLP and MLP\)\); lossless coding needs/,
      ],
    ] as const) {
      expect(await run('compress', '--model', model, '--input', 'mnist-test', '--limit', '2', '--out', join(root, 'none.fcod'))).toBe(2);
      expect(printed.stderr).toMatch(reason);
    }
  });

  it('refuses a flow trained with variational dequantization (its model/ or its checkpoint), naming why and what codes', async () => {
    const { multiScaleFlow, saveModel, variationalDequantizer } = await import('@flows/flows');
    const { VariationalDequantization } = await import('@flows/distributions');
    await tf.setBackend('cpu');
    const flow = multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: 1, hidden: [4], seed: 1 });
    const run = join(root, 'variational-run');
    await saveModel(flow, join(run, 'model'), { app: 'mnist-flow', view: { kind: 'logit', alpha: 1e-6 }, settings: { dequantization: 'variational' } });
    const pair = new VariationalDequantization({
      model: flow,
      dequantizer: variationalDequantizer({ shape: [28, 28, 1], hidden: [4], steps: 0, seed: 2 }),
      binWidth: 1 / 256,
    });
    const adam = new Adam(pair.trainableVariables);
    await saveCheckpoint(join(run, 'checkpoint'), { model: pair, optimizerState: adam.getState(), randomState: new Random(0).getState(), epoch: 1 });
    adam.dispose();
    pair.dispose();
    for (const model of [join(run, 'model'), join(run, 'checkpoint')]) {
      expect(await main(['compress', '--model', model, '--input', 'mnist-test', '--limit', '2', '--out', join(root, 'none.fcod'), ...BACKEND])).toBe(2);
      expect(printed.stderr).toMatch(
        /this flow was trained with variational dequantization \(mnist-flow train --dequantization variational\), and flow-codec's local bits-back coding takes uniform noise .*; code with a flow trained with uniform noise/,
      );
    }
    expect(existsSync(join(root, 'none.fcod'))).toBe(false);
  });

  it('compares the models with gzip, bzip2, xz, brotli, PNG and WebP on the same images', async () => {
    const out = join(root, 'compare');
    expect(await run('compare', '--vae', vaeRun, '--idf', idf, '--limit', '20', '--out', out)).toBe(0);
    const table = readFileSync(join(out, 'compare.md'), 'utf8');
    for (const codec of [
      'BB-ANS with this VAE',
      'negative ELBO',
      'rANS with this IDF',
      'negative log-likelihood',
      'gzip',
      'bzip2',
      'xz',
      'brotli',
      'PNG, one file per image',
      'PNG, one sprite',
      'WebP, one file per image',
      'WebP, one sprite',
    ])
      expect(table).toContain(codec);
    const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(json.binarized.length).toBe(10);
    expect(json.eightBit.length).toBe(10);
    // The IDF's code is within 1 % (plus the file's header) of its own negative log-likelihood.
    const [code, ideal] = json.eightBit;
    expect(code.bytes).toBeLessThan(ideal.bytes * 1.01 + 600);
  });
});
