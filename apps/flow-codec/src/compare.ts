import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defineOptions, describeOptions, parseOptions, UsageError } from '@flows/cli-kit';
import { writeFileAtomic } from '@flows/flows';
import { type BaselineResult, imageBaselines, packBits, streamBaselines } from './baselines.js';
import { binarize, type ImageSet } from './images.js';
import { type CodecModel, loadCodecModel } from './models.js';
import { describeWriteError, preflightOutputDirectory } from './output-paths.js';

import { BACKEND_OPTIONS, BINARIZATION_OPTIONS, imagesForVae, LATENT_BITS_OPTION, startBackend } from './shared-options.js';
import { COMPRESS_OPTIONS, compressSet, readCodableImages } from './compress.js';
import { decodeFile, readCodedFile } from './decompress.js';

export const COMPARE_OPTIONS = defineOptions({
  vae: { kind: 'string', description: "a VAE (vae-eval's run folder, or pretrained:NAME for a shipped one): bits-back coding of the binarized images" },
  idf: { kind: 'string', description: "an integer discrete flow (flow-codec train's --out): coding of the 8-bit images" },
  chains: COMPRESS_OPTIONS.chains,
  flow: {
    kind: 'string',
    description:
      "a continuous multi-scale flow of logit-preprocessed pixels (mnist-flow train's --out, or pretrained:mnist-multiscale): local bits-back coding of the 8-bit images",
  },
  input: { kind: 'string', default: 'mnist-test', description: 'the images (an IDX file, a folder of PNGs, mnist-test)' },
  limit: { kind: 'positiveInteger', description: 'only the first N images' },
  out: { kind: 'string', required: true, description: 'folder for compare.md and compare.json' },
  'latent-bits': LATENT_BITS_OPTION,
  ...BINARIZATION_OPTIONS,
  ...BACKEND_OPTIONS,
});

export const COMPARE_HELP = `flow-codec compare: bits per dimension on the same images for this project's codecs, the models'
own ideal (their negative log-likelihood or negative ELBO), and gzip, bzip2, xz, brotli (the whole
set as one stream: raw bytes, or 1 bit per pixel packed for binarized images), PNG and WebP lossless
(one file per image and one sprite). Every codec's output is decoded again and checked. Writes
compare.md and compare.json with sizes, times and each codec's settings.

Usage: flow-codec compare --out DIR [--vae DIR] [--idf DIR] [--flow DIR] [options]

${describeOptions(COMPARE_OPTIONS)}`;

/** One section of `compare`: a model kind, what it codes, and how its rows are labelled. */
interface ComparisonPlan {
  option: string | undefined;
  name: string;
  kind: CodecModel['kind'];
  key: 'binarized' | 'eightBit' | 'eightBitFlow';
  /** The images the model codes (for a VAE, binarized as --binarization says). */
  images: ImageSet;
  title: string;
  code: (summary: string) => { codec: string; settings: string };
  ideal: { codec: string; settings: string };
  /** The model's ideal length in bits: its negative ELBO, or the NLL that coding reported. */
  idealBits: (model: CodecModel, fromCoding: number | undefined) => number;
  /** The images as decoding must give them back (0…255), and as PNG and WebP code them. */
  decoded: Uint8Array;
  /** The stream the general-purpose codecs get, and how it is described. */
  stream: [Uint8Array, string];
  note: (percentOver: string) => string;
}

interface CompareRow extends BaselineResult {
  bitsPerDim: number;
}

function rowsFor(results: BaselineResult[], dims: number): CompareRow[] {
  return results.map((r) => ({ ...r, bitsPerDim: (8 * r.bytes) / dims }));
}

function markdown(title: string, rows: CompareRow[], notes: string[]): string {
  const header = '| codec | bits/dim | bytes | encode s | decode s | settings |\n|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.codec} | ${r.bitsPerDim.toFixed(4)} | ${r.bytes.toLocaleString('en-US')} | ${r.encodeSeconds.toFixed(2)} | ${r.decodeSeconds.toFixed(2)} | ${r.settings} |`,
  );
  return [`### ${title}`, '', header, ...lines, '', ...notes.map((n) => `- ${n}`)].join('\n');
}

/** The VAE's negative ELBO on the binarized images in bits (one z per image, fixed noise): what bits-back coding should reach. */
function negativeElboBits(model: CodecModel & { kind: 'vae' }, bits: Uint8Array, count: number): number {
  const size = bits.length / count;
  let total = 0;
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const terms = model.vae.elbo(tf.tensor2d(Float32Array.from(bits.subarray(start * size, (start + n) * size)), [n, size]), { random: 12345 + start });
    total += tf.tidy(() => tf.sum(terms.elbo).dataSync()[0]);
    tf.dispose([terms.elbo, terms.reconstruction, terms.kl]);
  }
  return -total / Math.LN2;
}

/**
 * A continuous flow's negative log-likelihood of 8-bit images in bits, dequantized with one uniform
 * draw per pixel (fixed seed) and through its logit preprocessing, log-det counted: what local
 * bits-back coding should reach. −log p(v) ≈ −log p_y(y) − Σ log |dy/dv| with y = logit(α + (1 − 2α)(v + u)/256).
 */
function dequantizedNllBits(model: CodecModel & { kind: 'flow' }, pixels: Uint8Array, count: number): number {
  const size = pixels.length / count;
  const alpha = model.logitAlpha;
  const shape = model.flow.eventShape as number[];
  let total = 0;
  for (let start = 0; start < count; start += 100) {
    const n = Math.min(100, count - start);
    total += tf.tidy(() => {
      const v = tf.tensor(Float32Array.from(pixels.subarray(start * size, (start + n) * size)), [n, ...shape]);
      const p = tf.add(alpha, tf.mul(1 - 2 * alpha, tf.div(tf.add(v, tf.randomUniform(v.shape, 0, 1, 'float32', 12345 + start)), 256)));
      const y = tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
      const logDet = tf.sum(tf.sub(Math.log((1 - 2 * alpha) / 256), tf.log(tf.mul(p, tf.sub(1, p)))));
      return tf.add(tf.sum(model.flow.logProb(y)), logDet).dataSync()[0];
    });
  }
  return -total / Math.LN2;
}

export async function compareCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, COMPARE_OPTIONS);
  if (o.help) return void console.log(COMPARE_HELP);
  if (!o.vae && !o.idf && !o.flow) throw new UsageError('give --vae, --idf, --flow or several: the models to compare with the general-purpose codecs');
  await preflightOutputDirectory('--out', o.out);
  const set = await readCodableImages(o.input, o.limit);
  const backendName = await startBackend(o, 0);
  const dims = set.count * set.height * set.width;
  const sections: string[] = [];
  const json: Record<string, unknown> = { input: o.input, count: set.count, shape: [set.height, set.width], backend: backendName };

  const vaeSet = imagesForVae(set, o);
  const binary = binarize(vaeSet);
  const binarizedAs = vaeSet === set ? 'v/255 > 0.5' : `stochastically: 1 with probability v/255, seed ${o['binarization-seed']}`;
  const binaryAsPixels = binary.map((bit) => bit * 255);
  const plans: ComparisonPlan[] = [
    {
      option: o.vae,
      name: '--vae',
      kind: 'vae',
      key: 'binarized',
      images: vaeSet,
      title: `Binarized images (${binarizedAs}), ${set.count} images of ${set.height}×${set.width}`,
      code: (summary) => ({
        codec: '**BB-ANS with this VAE**',
        settings: `${summary}; lattice 2^${o['latent-bits']} buckets per latent, 16-bit probabilities, file header included`,
      }),
      ideal: { codec: 'the VAE’s negative ELBO (ideal)', settings: 'one z ~ q(z|x) per image; not a code' },
      idealBits: (model) => negativeElboBits(model as CodecModel & { kind: 'vae' }, binary, set.count),
      decoded: binaryAsPixels,
      stream: [packBits(binary), '1 bit per pixel, packed'],
      note: (percent) => `BB-ANS is ${percent} % over the negative ELBO it codes at.`,
    },
    {
      option: o.idf,
      name: '--idf',
      kind: 'idf',
      key: 'eightBit',
      images: set,
      title: `8-bit images, ${set.count} images of ${set.height}×${set.width}`,
      code: (summary) => ({ codec: '**rANS with this IDF**', settings: `${summary}; 16-bit probabilities, file header included` }),
      ideal: { codec: 'the IDF’s negative log-likelihood (ideal)', settings: 'not a code' },
      idealBits: (_, fromCoding) => fromCoding ?? Number.NaN,
      decoded: set.pixels,
      stream: [set.pixels, 'raw 8-bit pixels'],
      note: (percent) => `The IDF code is ${percent} % over its negative log-likelihood.`,
    },
    {
      option: o.flow,
      name: '--flow',
      kind: 'flow',
      key: 'eightBitFlow',
      images: set,
      title: `8-bit images coded with a continuous flow, ${set.count} images of ${set.height}×${set.width}`,
      code: (summary) => ({
        codec: '**local bits-back with this flow**',
        settings: `${summary}; lattices of 2^−16, 16-bit probabilities, file header and initial words included`,
      }),
      ideal: {
        codec: 'the flow’s dequantized negative log-likelihood (ideal)',
        settings: 'one uniform noise draw per pixel (seed 12345), logit log-det counted; not a code',
      },
      idealBits: (model) => dequantizedNllBits(model as CodecModel & { kind: 'flow' }, set.pixels, set.count),
      decoded: set.pixels,
      stream: [set.pixels, 'raw 8-bit pixels'],
      note: (percent) => `Local bits-back coding is ${percent} % over the flow's dequantized negative log-likelihood, the initial bits-back words included.`,
    },
  ];
  for (const plan of plans) {
    if (!plan.option) continue;
    const model = await loadCodecModel(plan.option, plan.name);
    try {
      if (model.kind !== plan.kind)
        throw new UsageError(
          `${plan.name} ${plan.option} is not ${{ vae: 'a VAE', idf: 'an integer discrete flow', flow: 'a continuous flow of logit-preprocessed pixels' }[plan.kind]}`,
        );
      console.error(`${plan.key === 'binarized' ? 'binarized' : '8-bit'} images: ${model.summary}`);
      const { file, seconds, idealBits } = await compressSet(model, plan.images, o['latent-bits'], o.quiet, { chains: o.chains, workers: o.workers });
      const decodeStarted = performance.now();
      const where = `the ${plan.key} file`;
      const back = await decodeFile(model, await readCodedFile(file, where), where, o.quiet, o.workers);
      const decodeSeconds = (performance.now() - decodeStarted) / 1000;
      if (!back.pixels.every((value, k) => value === plan.decoded[k])) throw new Error(`decoding the ${plan.key} file did not give the images back`);
      const ideal = plan.idealBits(model, idealBits);
      const ours: CompareRow[] = [
        { ...plan.code(model.summary), bytes: file.length, encodeSeconds: seconds, decodeSeconds, bitsPerDim: (8 * file.length) / dims },
        { ...plan.ideal, bytes: Math.ceil(ideal / 8), encodeSeconds: 0, decodeSeconds: 0, bitsPerDim: ideal / dims },
      ];
      const baselines = rowsFor([...(await streamBaselines(...plan.stream)), ...(await imageBaselines(plan.decoded, set.count, set.height, set.width))], dims);
      const rows = [...ours, ...baselines];
      json[plan.key] = rows;
      sections.push(markdown(plan.title, rows, [plan.note(((ours[0].bitsPerDim / ours[1].bitsPerDim - 1) * 100).toFixed(2))]));
    } finally {
      model.dispose();
    }
  }
  const text = `${sections.join('\n\n')}\n`;
  for (const [name, content] of [
    ['compare.md', text],
    ['compare.json', `${JSON.stringify(json, null, 2)}\n`],
  ]) {
    try {
      await writeFileAtomic(join(o.out, name), content);
    } catch (error) {
      throw describeWriteError(error, '--out', o.out, name);
    }
  }
  console.log(`${text}\nwritten: ${join(o.out, 'compare.md')}, compare.json`);
}
