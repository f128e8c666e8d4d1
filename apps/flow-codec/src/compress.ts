import { encodeBitsBack, sha256, writeContainer } from '@flows/codec';
import { defineOptions, describeOptions, formatDuration, modelReferenceHelp, parseOptions, UsageError } from '@flows/cli-kit';
import { writeFileAtomic } from '@flows/flows';
import { encodeIdf } from './idf-coding.js';
import { workerRunner } from './chain-workers.js';
import { DEFAULT_CHAINS, encodeInChains, MAX_CHAINS, MIN_IMAGES_PER_CHAIN, runHere } from './flow-chains.js';
import { checkCodable, type CodedDescription } from './coded-description.js';
import { EXACT_PATH_VERSION } from './exact-network.js';
import { binarize, type ImageSet, readImages } from './images.js';
import { type CodecModel, loadCodecModel } from './models.js';
import { describeWriteError, preflightOutputFile } from './output-paths.js';
import { latentScaleFor, vaeBitsBackModel } from './vae-bits-back.js';

import { BACKEND_OPTIONS, BINARIZATION_OPTIONS, imagesForVae, LATENT_BITS_OPTION, startBackend, progress } from './shared-options.js';

export const COMPRESS_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description: `a trained model: flow-codec train's --out (an integer discrete flow, 8-bit images) or vae-eval's run folder <out>/<prior>/run-N (a VAE, binarized images); ${modelReferenceHelp()}`,
  },
  input: { kind: 'string', required: true, description: 'the images: an IDX file (gzipped or not), a folder of greyscale PNGs, mnist-test or mnist-train' },
  out: {
    kind: 'string',
    required: true,
    description: 'the compressed file to write (written to a temporary name, then renamed); an existing file only with --force',
  },
  force: { kind: 'boolean', description: 'replace an existing --out (never the --input itself, nor a file inside an --input folder)' },
  limit: { kind: 'positiveInteger', description: 'code only the first N images' },
  chains: {
    kind: 'positiveInteger',
    default: DEFAULT_CHAINS,
    description: `continuous flows: code in at most N independent chains of at least ${MIN_IMAGES_PER_CHAIN} images, which threads code and decode side by side (each adds its initial bits-back words, about 2 KB with the shipped flow); at most ${MAX_CHAINS}`,
  },
  'latent-bits': LATENT_BITS_OPTION,
  ...BINARIZATION_OPTIONS,
  ...BACKEND_OPTIONS,
});

export const COMPRESS_HELP = `flow-codec compress: code images losslessly with a trained model into one file.

With an integer discrete flow, 8-bit images are coded exactly (rANS over the flow's integer latents).
With a continuous multi-scale flow of logit-preprocessed pixels (mnist-flow's, or
pretrained:mnist-multiscale), 8-bit images are coded by local bits-back coding (Ho, Lohn and
Abbeel 2019) at about the flow's dequantized bits/dim.
With a VAE, images are binarized as the VAE was trained (v/255 > 0.5, or with --binarization
stochastic each pixel 1 with probability v/255, drawn with --binarization-seed) and coded with
bits-back coding (BB-ANS); decompress then gives the binarized images (0 and 255).

--out is checked before anything is coded: an existing file is replaced only with --force, and
never when it is the --input (or lies inside an --input folder of PNGs). PNG names must be plain
file names that every system can write back (no separators, control characters, reserved device
names such as CON, nor two names that differ only in case).

Usage: flow-codec compress --model DIR --input IMAGES --out FILE [--force] [options]

${describeOptions(COMPRESS_OPTIONS)}`;

/** Codes a set with a model; returns the file's bytes and the model's ideal length in bits (NLL or negative ELBO as coded). */
export async function compressSet(
  model: CodecModel,
  set: ImageSet,
  latentBits: number,
  quiet?: boolean,
  chains: { chains?: number; workers?: number } = {},
): Promise<{ file: Uint8Array; description: CodedDescription; seconds: number; idealBits?: number; overhead: FileOverhead }> {
  const size = set.height * set.width;
  const started = performance.now();
  let message: Uint8Array;
  let data: Uint8Array;
  let extra: Pick<CodedDescription, 'codec' | 'binarized' | 'latentBits' | 'latentScale' | 'initialWords' | 'logitAlpha' | 'chains'>;
  let idealBits: number | undefined;
  if (model.kind === 'vae') {
    if (size !== model.vae.encoder.inputSize)
      throw new UsageError(`--input: images of ${set.height}×${set.width} = ${size} pixels; the VAE codes ${model.vae.encoder.inputSize}`);
    data = binarize(set);
    const items = Array.from({ length: set.count }, (_, k) => data.subarray(k * size, (k + 1) * size));
    const onProgress = progress(quiet, set.count, 'bits-back encode');
    const latentScale = latentScaleFor(model.vae);
    // The seed is drawn as deep as the first image's pops reach (a VAE with 64 latents reads more than a fixed 32 words held).
    const coded = encodeBitsBack(vaeBitsBackModel(model.vae, { latentScale }), items, { latentBits, latentScale, onProgress });
    message = coded.message;
    const perImage = (bits: number) => (bits / set.count).toFixed(2);
    console.error(
      `bits per image: −log₂ p(x|z) ${perImage(coded.account.observation)}, latents under the prior ${perImage(coded.account.prior - coded.account.auxiliary)}, got back from q(z|x) ${perImage(coded.account.posterior)} (lattice scale ${latentScale})`,
    );
    extra = { codec: 'bb-ans-vae', binarized: true, latentBits, latentScale, initialWords: coded.initialWords };
  } else if (model.kind === 'flow') {
    if (size !== model.compiled.size)
      throw new UsageError(`--input: images of ${set.height}×${set.width} = ${size} pixels; the flow codes ${model.compiled.size}`);
    data = set.pixels;
    const images = Array.from({ length: set.count }, (_, k) => data.subarray(k * size, (k + 1) * size));
    const coded = await encodeInChains(model.compiled, images, {
      alpha: model.logitAlpha,
      chains: chains.chains,
      run: workerRunner(chains.workers) ?? runHere,
      onProgress: progress(quiet, set.count, 'local bits-back encode'),
    });
    message = coded.message;
    extra = { codec: 'local-bits-back-flow', binarized: false, chains: coded.chains, logitAlpha: model.logitAlpha };
  } else {
    data = set.pixels;
    const onProgress = progress(quiet, set.count, 'IDF encode');
    ({ message, idealBits } = encodeIdf(model.flow, data, set.count, onProgress));
    extra = { codec: 'rans-idf', binarized: false };
  }
  const description: CodedDescription = {
    ...extra,
    exactPath: EXACT_PATH_VERSION,
    modelHash: model.identity,
    count: set.count,
    shape: [set.height, set.width],
    dataHash: await sha256(data),
    source: set.source,
  };
  const file = await writeContainer(description, message);
  // rANS ends with its 64-bit state; bits-back starts from the words it drew (the state's two among them).
  // Bits-back chains start from the words they drew (their final states among them).
  const startWords = extra.chains ? extra.chains.reduce((sum, chain) => sum + chain.initialWords, 0) : (extra.initialWords ?? 2);
  const overhead = { containerBytes: file.length - message.length, stateBytes: 4 * startWords, bitsBack: extra.codec !== 'rans-idf' };
  return { file, description, seconds: (performance.now() - started) / 1000, idealBits, overhead };
}

/** What a file costs once, whatever the number of images: its container, and the coder's state or seed words. */
export interface FileOverhead {
  /** The container's bytes: magic, version, the description, the lengths and the SHA-256 digest. */
  containerBytes: number;
  /** The coder's words that are no image's: rANS's final 64-bit state, or bits-back's initial words. */
  stateBytes: number;
  bitsBack: boolean;
}

/**
 * The size of a coded file split into what it costs once and what it costs per image: on a few
 * hundred images the fixed part is several percent of the file, on thousands a fraction of one.
 */
export function describeOverhead(fileBytes: number, overhead: FileOverhead, count: number, pixelsPerImage: number): string {
  const fixed = overhead.containerBytes + overhead.stateBytes;
  const perImageBits = (8 * (fileBytes - fixed)) / count;
  const seed = overhead.bitsBack ? `the initial bits-back words ${overhead.stateBytes}` : `the coder's final state ${overhead.stateBytes}`;
  return `per file: ${fixed} bytes (the container and description ${overhead.containerBytes}, ${seed}), ${((100 * fixed) / fileBytes).toFixed(1)} % of it; per image: ${perImageBits.toFixed(1)} bits, ${(perImageBits / pixelsPerImage).toFixed(4)} bits/dim`;
}

/** The inputs that name the embedded MNIST, not a file. */
const EMBEDDED_INPUTS = ['mnist-test', 'mnist-train'];

/** Reads `--input` and checks that a file of it can be written and read back, before any model is loaded. */
export async function readCodableImages(input: string, limit: number | undefined): Promise<ImageSet> {
  const set = await readImages(input, { limit });
  checkCodable(set, `--input ${input}`);
  return set;
}

export async function compressCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, COMPRESS_OPTIONS);
  if (o.help) return void console.log(COMPRESS_HELP);
  // Before anything slow: coding 10 000 images takes minutes, and a bad --out must not wait for it.
  const outputCheck = { force: o.force, input: o.input, embeddedInputs: EMBEDDED_INPUTS };
  await preflightOutputFile(o.out, outputCheck);
  const set = await readCodableImages(o.input, o.limit);
  await startBackend(o, 0);
  const model = await loadCodecModel(o.model);
  try {
    if (model.kind !== 'vae' && o.binarization !== 'threshold')
      throw new UsageError(
        `--binarization ${o.binarization}: only a VAE codes binarized images; the ${model.kind === 'flow' ? 'continuous' : 'integer discrete'} flow ${o.model} codes the 8-bit images as they are`,
      );
    const coded = model.kind === 'vae' ? imagesForVae(set, o) : set;
    console.error(
      `model: ${model.summary}\nimages: ${set.count} of ${set.height}×${set.width} from ${o.input}${coded === set ? '' : `, stochastically binarized (seed ${o['binarization-seed']})`}`,
    );
    const { file, seconds, overhead } = await compressSet(model, coded, o['latent-bits'], o.quiet, { chains: o.chains, workers: o.workers });
    // Again, for what changed while coding (a file that appeared there); the write is atomic.
    await preflightOutputFile(o.out, outputCheck);
    try {
      await writeFileAtomic(o.out, file);
    } catch (error) {
      throw describeWriteError(error, '--out', o.out);
    }
    const dims = set.count * set.height * set.width;
    console.log(
      `${o.out}: ${file.length} bytes, ${((8 * file.length) / dims).toFixed(4)} bits/dim (${model.kind === 'vae' ? 'binarized' : '8-bit'} images), in ${formatDuration(seconds)}`,
    );
    console.log(`${o.out}: ${describeOverhead(file.length, overhead, set.count, set.height * set.width)}`);
  } finally {
    model.dispose();
  }
}
