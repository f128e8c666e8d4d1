import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assertDecoded, assertSameModel, CodecFileError, decodeBitsBack, encodeBitsBack, RansError, readContainer, sha256, writeContainer } from '@flows/codec';
import {
  defineOptions,
  describeOptions,
  formatDuration,
  formatRate,
  NATIVE_BLAS_OPTION,
  NO_NATIVE_OPTION,
  nativeBlasSetting,
  parseOptions,
  ProgressBar,
  THREADS_OPTION,
  appWasmThreads,
  UsageError,
} from '@flows/cli-kit';
import { Random } from '@flows/core';
import { loadMnist } from '@flows/datasets';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  type Distribution,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';
import {
  acquireRunLock,
  Adam,
  describeBackend,
  fit,
  integerDiscreteFlow,
  saveModel,
  schedules,
  selectBackend,
  tensorData,
  TrainingRun,
  TrainingRunError,
  writeFileAtomic,
} from '@flows/flows';
import { type BaselineResult, imageBaselines, packBits, streamBaselines } from './baselines.js';
import { decodeIdf, encodeIdf } from './idf-coding.js';
import { checkCodable, type CodedDescription, validateCodedDescription } from './coded-description.js';
import { binarize, type ImageSet, readImages, writeImages } from './images.js';
import { type CodecModel, loadCodecModel } from './models.js';
import { describeWriteError, partialFolder, preflightOutputDirectory, preflightOutputFile, preflightOutputFolder } from './output-paths.js';
import { latentScaleFor, vaeBitsBackModel } from './vae-bits-back.js';

const BACKEND_OPTIONS = defineOptions({
  backend: {
    kind: 'string',
    choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
    default: 'auto',
    description: 'TensorFlow.js backend (decode with the backend that encoded)',
  },
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
  'no-native': NO_NATIVE_OPTION,
  quiet: { kind: 'boolean', description: 'no progress bars' },
});

const LATENT_BITS_OPTION = {
  kind: 'positiveInteger',
  default: 12,
  description: 'bits-back lattice: 2^b buckets of equal standard-normal mass per latent coordinate (VAE models)',
} as const;

async function startBackend(o: { backend: string; threads?: number; 'native-blas'?: boolean; 'no-native'?: boolean }, work: number): Promise<string> {
  const backend = await selectBackend({
    backend: o.backend as 'auto',
    wasmThreads: await appWasmThreads(o.threads, work),
    nativeBlas: nativeBlasSetting(o['native-blas'], o['no-native'], o.backend),
  });
  console.error(describeBackend(backend));
  return backend.name;
}

function progress(quiet: boolean | undefined, total: number, label: string): ((done: number) => void) | undefined {
  if (quiet) return undefined;
  const bar = new ProgressBar({ total, label });
  return (done: number) => (done >= total ? bar.finish(`${label}: ${total} images`) : bar.update(done, {}));
}

// ---------------------------------------------------------------------------------------------
// compress

export const COMPRESS_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description:
      "a trained model: flow-codec train's --out (an integer discrete flow, 8-bit images) or vae-eval's run folder <out>/<prior>/run-N (a VAE, binarized images)",
  },
  input: { kind: 'string', required: true, description: 'the images: an IDX file (gzipped or not), a folder of greyscale PNGs, mnist-test or mnist-train' },
  out: {
    kind: 'string',
    required: true,
    description: 'the compressed file to write (written to a temporary name, then renamed); an existing file only with --force',
  },
  force: { kind: 'boolean', description: 'replace an existing --out (never the --input itself, nor a file inside an --input folder)' },
  limit: { kind: 'positiveInteger', description: 'code only the first N images' },
  'latent-bits': LATENT_BITS_OPTION,
  ...BACKEND_OPTIONS,
});

export const COMPRESS_HELP = `flow-codec compress: code images losslessly with a trained model into one file.

With an integer discrete flow, 8-bit images are coded exactly (rANS over the flow's integer latents).
With a VAE, images are binarized as the VAE was trained (v/255 > 0.5) and coded with bits-back
coding (BB-ANS); decompress then gives the binarized images (0 and 255).

--out is checked before anything is coded: an existing file is replaced only with --force, and
never when it is the --input (or lies inside an --input folder of PNGs). PNG names must be plain
file names that every system can write back (no separators, control characters, reserved device
names such as CON, nor two names that differ only in case).

Usage: flow-codec compress --model DIR --input IMAGES --out FILE [--force] [options]

${describeOptions(COMPRESS_OPTIONS)}`;

/** The pseudo-random words a bits-back message starts on (recorded in the file). */
const INITIAL_WORDS = 32;

/** Codes a set with a model; returns the file's bytes and the model's ideal length in bits (NLL or negative ELBO as coded). */
async function compressSet(
  model: CodecModel,
  set: ImageSet,
  latentBits: number,
  quiet?: boolean,
): Promise<{ file: Uint8Array; description: CodedDescription; seconds: number; idealBits?: number }> {
  const size = set.height * set.width;
  const started = performance.now();
  let message: Uint8Array;
  let data: Uint8Array;
  let extra: Pick<CodedDescription, 'codec' | 'binarized' | 'latentBits' | 'latentScale' | 'initialWords'>;
  let idealBits: number | undefined;
  if (model.kind === 'vae') {
    if (size !== model.vae.encoder.inputSize)
      throw new UsageError(`--input: images of ${set.height}×${set.width} = ${size} pixels; the VAE codes ${model.vae.encoder.inputSize}`);
    data = binarize(set);
    const items = Array.from({ length: set.count }, (_, k) => data.subarray(k * size, (k + 1) * size));
    const onProgress = progress(quiet, set.count, 'bits-back encode');
    const latentScale = latentScaleFor(model.vae);
    const coded = encodeBitsBack(vaeBitsBackModel(model.vae, { latentScale }), items, { latentBits, latentScale, initialWords: INITIAL_WORDS, onProgress });
    message = coded.message;
    const perImage = (bits: number) => (bits / set.count).toFixed(2);
    console.error(
      `bits per image: −log₂ p(x|z) ${perImage(coded.account.observation)}, latents under the prior ${perImage(coded.account.prior - coded.account.auxiliary)}, got back from q(z|x) ${perImage(coded.account.posterior)} (lattice scale ${latentScale})`,
    );
    extra = { codec: 'bb-ans-vae', binarized: true, latentBits, latentScale, initialWords: INITIAL_WORDS };
  } else {
    data = set.pixels;
    const onProgress = progress(quiet, set.count, 'IDF encode');
    ({ message, idealBits } = encodeIdf(model.flow, data, set.count, onProgress));
    extra = { codec: 'rans-idf', binarized: false };
  }
  const description: CodedDescription = {
    ...extra,
    modelHash: model.identity,
    count: set.count,
    shape: [set.height, set.width],
    dataHash: await sha256(data),
    source: set.source,
  };
  const file = await writeContainer(description, message);
  return { file, description, seconds: (performance.now() - started) / 1000, idealBits };
}

/** The inputs that name the embedded MNIST, not a file. */
const EMBEDDED_INPUTS = ['mnist-test', 'mnist-train'];

/** Reads `--input` and checks that a file of it can be written and read back, before any model is loaded. */
async function readCodableImages(input: string, limit: number | undefined): Promise<ImageSet> {
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
    console.error(`model: ${model.summary}\nimages: ${set.count} of ${set.height}×${set.width} from ${o.input}`);
    const { file, seconds } = await compressSet(model, set, o['latent-bits'], o.quiet);
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
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// decompress

export const DECOMPRESS_OPTIONS = defineOptions({
  model: { kind: 'string', required: true, description: 'the model the file was written with (its identity is checked)' },
  out: {
    kind: 'string',
    required: true,
    description: 'the folder to create with the images (must not exist; filled under a temporary name, renamed when the checksum matches)',
  },
  'latent-bits': { ...LATENT_BITS_OPTION, description: 'ignored: the file records its lattice' },
  ...BACKEND_OPTIONS,
});

export const DECOMPRESS_HELP = `flow-codec decompress: decode a file of flow-codec compress back into images, exactly.

The images go into a new folder in the form they came in: one IDX file (from an IDX file or
mnist-test), or one PNG per image under its original name. Nothing is written unless the decoded
images match the checksum recorded when compressing; a wrong model, a corrupt or truncated file
or a file from a newer version is named. A file from someone else is untrusted (its checksum can be
recomputed after any edit): its image names, counts and sizes are checked before anything is
decoded, and nothing is written outside --out.

Usage: flow-codec decompress FILE --model DIR --out DIR [options]

${describeOptions(DECOMPRESS_OPTIONS)}`;

/** The first argument when it is not an option: a command's positional file. */
function positional(argv: string[], what: string): [string, string[]] {
  const [first, ...rest] = argv;
  if (!first || first.startsWith('-')) {
    if (argv.includes('--help') || argv.includes('-h')) return ['', argv];
    throw new UsageError(`give the ${what} first`);
  }
  return [first, rest];
}

/**
 * Reads a coded file and checks its whole description ({@link validateCodedDescription}): what can
 * be known without the model, so a crafted or corrupt file is refused before a model is loaded.
 */
async function readCodedFile(fileBytes: Uint8Array, where: string): Promise<{ description: CodedDescription; message: Uint8Array }> {
  const { description, message } = await readContainer(fileBytes, where);
  return { description: validateCodedDescription(description, where), message };
}

async function decodeFile(model: CodecModel, coded: { description: CodedDescription; message: Uint8Array }, where: string, quiet?: boolean): Promise<ImageSet> {
  const { description, message } = coded;
  assertSameModel(description, model.identity, where);
  const [height, width] = description.shape;
  const size = height * width;
  if (description.codec === 'bb-ans-vae' && model.kind !== 'vae') throw new UsageError(`${where} was written by bits-back coding with a VAE`);
  if (description.codec === 'rans-idf' && model.kind !== 'idf') throw new UsageError(`${where} was written with an integer discrete flow`);
  const modelSize = model.kind === 'vae' ? model.vae.encoder.inputSize : model.flow.eventSize;
  if (size !== modelSize)
    throw new CodecFileError(
      `${where}: the description's shape ${height}×${width} is not the ${modelSize} pixels its model codes: the file is corrupt or was crafted`,
    );
  let pixels: Uint8Array;
  try {
    if (model.kind === 'vae') {
      const onProgress = progress(quiet, description.count, 'bits-back decode');
      const items = decodeBitsBack(vaeBitsBackModel(model.vae, { latentScale: description.latentScale }), message, description.count, {
        latentBits: description.latentBits,
        latentScale: description.latentScale,
        initialWords: description.initialWords,
        onProgress,
      });
      const bits = new Uint8Array(description.count * size);
      items.forEach((item, k) => bits.set(item, k * size));
      await assertDecoded(description, bits, where);
      pixels = bits.map((bit) => bit * 255);
    } else {
      pixels = decodeIdf(model.flow, message, description.count, size, progress(quiet, description.count, 'IDF decode'));
      await assertDecoded(description, pixels, where);
    }
  } catch (error) {
    // The message is as untrusted as the description: what decoding finds wrong is the file's fault.
    if (error instanceof RansError || error instanceof RangeError)
      throw new CodecFileError(
        `${where} does not decode (${error.message}): the file is corrupt or was crafted, or was written with other settings; nothing is written`,
      );
    throw error;
  }
  return { pixels, count: description.count, height, width, source: description.source };
}

/**
 * Writes decoded images into a new folder `out`: filled under `<out>.partial-<pid>` next to it
 * (removed on failure; one left by a killed run is removed by the next decompress), each image
 * written exclusively (`wx`: nothing is replaced, not even by a name that differs only in case),
 * then renamed to `out` only when all are there. Returns what was written.
 */
async function writeDecodedFolder(out: string, set: ImageSet): Promise<string> {
  const temporary = partialFolder(out);
  let current: string | undefined;
  try {
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary);
    const written = await writeImages(temporary, set, (path, data, name) => {
      current = name;
      return writeFile(path, data, { flag: 'wx' });
    });
    current = undefined;
    // Something may have made `out` while this ran: a rename would replace an empty folder.
    if (
      await lstat(out).then(
        () => true,
        () => false,
      )
    )
      throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await rename(temporary, out);
    return written;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code) throw describeWriteError(error, '--out', out, current);
    throw error;
  }
}

export async function decompressCommand(argv: string[]): Promise<void> {
  const [input, rest] = positional(argv, 'compressed file (flow-codec decompress FILE --model DIR --out DIR)');
  const o = parseOptions(rest, DECOMPRESS_OPTIONS);
  if (o.help) return void console.log(DECOMPRESS_HELP);
  await preflightOutputFolder(o.out);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(input));
  } catch (error) {
    throw new UsageError(`${input} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  // The whole description is checked before a model is loaded or anything is decoded.
  const coded = await readCodedFile(bytes, input);
  await startBackend(o, 0);
  const model = await loadCodecModel(o.model);
  try {
    const started = performance.now();
    const set = await decodeFile(model, coded, input, o.quiet);
    const written = await writeDecodedFolder(o.out, set);
    console.log(
      `${o.out}: ${written} (${set.count} ${coded.description.binarized ? 'binarized ' : ''}images of ${set.height}×${set.width}, checksum matches), in ${formatDuration((performance.now() - started) / 1000)}`,
    );
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// train

export const TRAIN_OPTIONS = defineOptions({
  out: { kind: 'string', required: true, description: 'output folder: checkpoint/ after every epoch, model/ at the end, metrics.json' },
  epochs: { kind: 'positiveInteger', default: 2, description: 'epochs over the 60 000 training images' },
  'batch-size': { kind: 'positiveInteger', default: 64, description: 'batch size' },
  layers: { kind: 'positiveInteger', default: 4, description: 'integer additive couplings per level (checkerboard masks, flipped each layer)' },
  levels: {
    kind: 'positiveInteger',
    default: 3,
    description: 'levels: after each but the last, half the pixels are factored out under a mixture conditioned on the other half',
  },
  hidden: { kind: 'integerList', default: [256, 256], description: 'hidden widths of each coupling’s shift network' },
  'prior-hidden': { kind: 'integerList', default: [256], description: 'hidden widths of each factor-out prior’s network (with --levels > 1)' },
  components: {
    kind: 'positiveInteger',
    default: 5,
    description: 'discretized logistics per pixel in the base (1: one logistic; more: a mixture, for dark and bright pixels)',
  },
  lr: {
    kind: 'positiveNumber',
    default: 1e-4,
    description: 'Adam learning rate (cosine decay over the run); the couplings move z by 256 × a weight step, so 10⁻³ is too fast',
  },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed of the weights and the shuffling' },
  resume: { kind: 'boolean', description: 'continue from <out>/checkpoint (same options; --epochs may grow)' },
  ...BACKEND_OPTIONS,
});

export const TRAIN_HELP = `flow-codec train: train an integer discrete flow (Hoogeboom et al. 2019) on MNIST's 8-bit pixels,
for lossless coding with flow-codec compress. By default 3 levels of 4 integer couplings: after each
level but the last, half the pixels leave under a mixture conditioned on the other half, which goes
on (--levels 1: one level, a factorised base). Checkpoints after every epoch (resume with --resume);
prints the test negative log-likelihood in bits per dimension, the length a code reaches.

Usage: flow-codec train --out DIR [options]

${describeOptions(TRAIN_OPTIONS)}`;

interface TrainRow extends Record<string, unknown> {
  epoch: number;
  trainBpd: number;
  testBpd: number;
  seconds: number;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) return void console.log(TRAIN_HELP);
  const out = o.out;
  const runLock = await acquireRunLock(out, 'flow-codec train');
  try {
    const backendName = await startBackend(o, Number.POSITIVE_INFINITY);
    const [trainSplit, testSplit] = await Promise.all([loadMnist('train'), loadMnist('test')]);
    const trainCount = Math.min(trainSplit.count, o.limit ?? Number.POSITIVE_INFINITY);
    const testCount = Math.min(testSplit.count, o.limit ?? Number.POSITIVE_INFINITY);
    const settings = {
      layers: o.layers,
      // Only multi-level runs record their levels, so that runs from before levels existed still resume.
      ...(o.levels > 1 ? { levels: o.levels, priorHidden: o['prior-hidden'] } : {}),
      hidden: o.hidden,
      components: o.components,
      batchSize: o['batch-size'],
      lr: o.lr,
      epochs: o.epochs,
      limit: o.limit ?? null,
      seed: o.seed,
    };
    const training = await TrainingRun.open<TransformedDistribution, typeof settings, TrainRow>({
      directory: out,
      settings,
      resume: Boolean(o.resume),
      mayChange: ['epochs'],
      settingNames: {
        layers: '--layers',
        levels: '--levels',
        priorHidden: '--prior-hidden',
        hidden: '--hidden',
        components: '--components',
        batchSize: '--batch-size',
        lr: '--lr',
        epochs: '--epochs',
        limit: '--limit',
        seed: '--seed',
      },
    }).catch((error: unknown) => {
      if (error instanceof TrainingRunError) throw new UsageError(`--resume: ${error.message}`);
      throw error;
    });
    let flow: TransformedDistribution;
    let random = new Random(o.seed + 1);
    let optimizerState = null;
    if (training.resumed) {
      flow = training.resumed.model;
      optimizerState = training.resumed.optimizerState;
      random = Random.fromState(training.resumed.randomState);
      console.error(`resuming after epoch ${training.startEpoch}`);
    } else {
      flow = integerDiscreteFlow({
        size: 784,
        layers: o.layers,
        levels: o.levels,
        hidden: o.hidden,
        priorHidden: o['prior-hidden'],
        mask: 'checkerboard',
        imageShape: [28, 28],
        // One logistic starts near MNIST's pixel statistics (mean about 33, spread about 80); a mixture spreads over 0…255.
        baseLocation: 33,
        baseLogScale: Math.log(40),
        baseComponents: o.components,
        seed: o.seed,
      });
    }
    if (!training.resumed && o.components > 1) initialiseMixtures(flow, Float32Array.from(trainSplit.images.subarray(0, Math.min(trainCount, 5000) * 784)));
    if (training.startEpoch >= o.epochs)
      throw new UsageError(`the checkpoint already has ${training.startEpoch} epochs; pass --epochs greater than that to continue`);
    const pixels = (split: { images: Uint8Array }, count: number) => tf.tensor2d(Float32Array.from(split.images.subarray(0, count * 784)), [count, 784]);
    const trainX = pixels(trainSplit, trainCount);
    const testX = pixels(testSplit, testCount);
    const batchSize = o['batch-size'];
    const stepsPerEpoch = Math.ceil(trainCount / batchSize);
    const optimizer = new Adam(flow.trainableVariables, { learningRate: schedules.cosine(o.lr, o.epochs * stepsPerEpoch) });
    if (optimizerState) optimizer.setState(optimizerState);
    const bar = o.quiet ? null : new ProgressBar({ total: (o.epochs - training.startEpoch) * stepsPerEpoch, label: 'train' });
    const firstStep = optimizer.step;
    const bitsPerDim = (nats: number) => nats / 784 / Math.LN2;
    let epochStarted = performance.now();
    await fit(flow, tensorData(trainX), {
      epochs: o.epochs - training.startEpoch,
      initialEpoch: training.startEpoch,
      batchSize,
      optimizer,
      random,
      reportEvery: 20,
      // A diverging run's advice names this app's flag (it has no gradient clip, and integer couplings no tanh).
      settingNames: { learningRate: '--lr' },
      onProgress: (p) =>
        bar?.update(p.step - firstStep, {
          epoch: `${p.epoch + 1}/${o.epochs}`,
          'bits/dim': bitsPerDim(p.loss).toFixed(3),
          'samples/s': formatRate(p.samplesPerSecond),
          ETA: formatDuration(p.etaSeconds),
        }),
      onEpochEnd: async (info) => {
        const testBpd = testBitsPerDim(flow, testX);
        const row: TrainRow = { epoch: info.epoch, trainBpd: bitsPerDim(info.trainLoss), testBpd, seconds: (performance.now() - epochStarted) / 1000 };
        await training.record(row);
        await training.checkpoint({ model: flow, optimizer, random, epoch: info.epoch });
        await writeFileAtomic(
          join(out, 'metrics.json'),
          `${JSON.stringify({ app: 'flow-codec', backend: backendName, settings, epochs: training.rows }, null, 2)}\n`,
        );
        const line = `epoch ${info.epoch}: train ${row.trainBpd.toFixed(4)}  test ${testBpd.toFixed(4)} bits/dim  (${formatDuration(row.seconds)})`;
        if (bar) bar.finish(line);
        else console.error(line);
        epochStarted = performance.now();
      },
    });
    await saveModel(flow, join(out, 'model'), { app: 'flow-codec', settings });
    const last = training.rows[training.rows.length - 1];
    console.log(`test NLL: ${last.testBpd.toFixed(4)} bits/dim (8-bit MNIST, ${testCount} test images)\nmodel:    ${join(out, 'model')}`);
    tf.dispose([trainX, testX]);
    optimizer.dispose();
    flow.dispose();
  } finally {
    await runLock.release();
  }
}

/**
 * Data-dependent initialisation of the mixtures (as ActNorm initialises from a first batch): the
 * base's parameters are in pixel units, which Adam moves by about the learning rate per step, so a
 * base that starts far from the data takes thousands of steps to get there. Components k < K − 1 of
 * coordinate i start at the (k + ½)/(K − 1) quantiles of that coordinate's latents z = f⁻¹(x) on
 * training images, with a scale of a quarter of the distance to their neighbours (at least 0.3), and
 * the last spans the whole range: a pixel that is 0 in 80 % of the images starts with most of its
 * components on 0, and a rare grey value still costs a few bits, not hundreds. A multi-scale flow's
 * factor-out priors start the same way from the latents they model (their networks start at zero,
 * so each starts as this unconditional mixture), and its levels are followed down to the last base.
 */
function initialiseMixtures(distribution: Distribution, latents: Float32Array): void {
  const count = latents.length / distribution.eventSize;
  if (distribution instanceof TransformedDistribution) {
    const z = tf.tidy(() => distribution.bijector.inverse(tf.tensor2d(latents, [count, distribution.eventSize])).dataSync() as Float32Array);
    initialiseMixtures(distribution.base, z);
  } else if (distribution instanceof FactorOutDistribution) {
    const [kept, factored] = tf.tidy(() =>
      distribution.split(tf.tensor2d(latents, [count, distribution.eventSize])).map((part) => part.dataSync() as Float32Array),
    );
    if (distribution.factored instanceof ConditionalMixtureOfDiscretizedLogistics) initialiseFromQuantiles(distribution.factored, factored);
    initialiseMixtures(distribution.kept, kept);
  } else if (distribution instanceof MixtureOfDiscretizedLogistics) {
    initialiseFromQuantiles(distribution, latents);
  }
}

/** Sets a mixture's `[K, D]` locations and log-scales from the quantiles of its coordinates' values (rows of D). */
function initialiseFromQuantiles(
  mixture: { components: number; eventShape: readonly number[]; loc: tf.Variable; logScale: tf.Variable },
  values: Float32Array,
): void {
  const [k, size] = [mixture.components, mixture.eventShape[0]];
  const count = values.length / size;
  const loc = new Float32Array(k * size);
  const logScale = new Float32Array(k * size);
  const column = new Float32Array(count);
  for (let i = 0; i < size; i++) {
    for (let n = 0; n < count; n++) column[n] = values[n * size + i];
    column.sort();
    const quantile = (q: number) => column[Math.min(count - 1, Math.floor(q * count))];
    // K − 1 components at quantiles; the last one broad, over the whole range of the latents, so that
    // no value is far out in every component's exponential tail (−|z − μ|/s nats each).
    const narrow = k - 1;
    const at = Array.from({ length: narrow }, (_, j) => quantile((j + 0.5) / narrow));
    for (let j = 0; j < narrow; j++) {
      const gap = Math.max(j > 0 ? at[j] - at[j - 1] : 0, j + 1 < narrow ? at[j + 1] - at[j] : 0);
      loc[j * size + i] = at[j];
      logScale[j * size + i] = Math.log(Math.max(0.3, gap / 4));
    }
    const [low, high] = [Math.min(column[0], 0), Math.max(column[count - 1], 255)];
    loc[narrow * size + i] = (low + high) / 2;
    logScale[narrow * size + i] = Math.log((high - low) / 8);
  }
  tf.tidy(() => {
    mixture.loc.assign(tf.tensor2d(loc, [k, size]));
    mixture.logScale.assign(tf.tensor2d(logScale, [k, size]));
  });
}

/** The flow's test NLL in bits per dimension (an integer flow's log-probability is of a mass: no bin width). */
function testBitsPerDim(flow: TransformedDistribution, x: tf.Tensor2D): number {
  let total = 0;
  for (let start = 0; start < x.shape[0]; start += 1000) {
    const size = Math.min(1000, x.shape[0] - start);
    total += tf.tidy(() => tf.sum(flow.logProb(tf.slice(x, [start, 0], [size, 784]))).dataSync()[0]);
  }
  return -total / (x.shape[0] * 784 * Math.LN2);
}

// ---------------------------------------------------------------------------------------------
// compare

export const COMPARE_OPTIONS = defineOptions({
  vae: { kind: 'string', description: "a VAE (vae-eval's run folder): bits-back coding of the binarized images" },
  idf: { kind: 'string', description: "an integer discrete flow (flow-codec train's --out): coding of the 8-bit images" },
  input: { kind: 'string', default: 'mnist-test', description: 'the images (an IDX file, a folder of PNGs, mnist-test)' },
  limit: { kind: 'positiveInteger', description: 'only the first N images' },
  out: { kind: 'string', required: true, description: 'folder for compare.md and compare.json' },
  'latent-bits': LATENT_BITS_OPTION,
  ...BACKEND_OPTIONS,
});

export const COMPARE_HELP = `flow-codec compare: bits per dimension on the same images for this project's codecs, the models'
own ideal (their negative log-likelihood or negative ELBO), and gzip, bzip2, xz, brotli (the whole
set as one stream: raw bytes, or 1 bit per pixel packed for binarized images), PNG and WebP lossless
(one file per image and one sprite). Every codec's output is decoded again and checked. Writes
compare.md and compare.json with sizes, times and each codec's settings.

Usage: flow-codec compare --out DIR [--vae DIR] [--idf DIR] [options]

${describeOptions(COMPARE_OPTIONS)}`;

/** One section of `compare`: a model kind, what it codes, and how its rows are labelled. */
interface ComparisonPlan {
  option: string | undefined;
  name: string;
  kind: CodecModel['kind'];
  key: 'binarized' | 'eightBit';
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

export async function compareCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, COMPARE_OPTIONS);
  if (o.help) return void console.log(COMPARE_HELP);
  if (!o.vae && !o.idf) throw new UsageError('give --vae, --idf or both: the models to compare with the general-purpose codecs');
  await preflightOutputDirectory('--out', o.out);
  const set = await readCodableImages(o.input, o.limit);
  const backendName = await startBackend(o, 0);
  const dims = set.count * set.height * set.width;
  const sections: string[] = [];
  const json: Record<string, unknown> = { input: o.input, count: set.count, shape: [set.height, set.width], backend: backendName };

  const binary = binarize(set);
  const binaryAsPixels = binary.map((bit) => bit * 255);
  const plans: ComparisonPlan[] = [
    {
      option: o.vae,
      name: '--vae',
      kind: 'vae',
      key: 'binarized',
      title: `Binarized images (v/255 > 0.5), ${set.count} images of ${set.height}×${set.width}`,
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
      title: `8-bit images, ${set.count} images of ${set.height}×${set.width}`,
      code: (summary) => ({ codec: '**rANS with this IDF**', settings: `${summary}; 16-bit probabilities, file header included` }),
      ideal: { codec: 'the IDF’s negative log-likelihood (ideal)', settings: 'not a code' },
      idealBits: (_, fromCoding) => fromCoding ?? Number.NaN,
      decoded: set.pixels,
      stream: [set.pixels, 'raw 8-bit pixels'],
      note: (percent) => `The IDF code is ${percent} % over its negative log-likelihood.`,
    },
  ];
  for (const plan of plans) {
    if (!plan.option) continue;
    const model = await loadCodecModel(plan.option);
    try {
      if (model.kind !== plan.kind) throw new UsageError(`${plan.name} ${plan.option} is not ${plan.kind === 'vae' ? 'a VAE' : 'an integer discrete flow'}`);
      console.error(`${plan.key === 'binarized' ? 'binarized' : '8-bit'} images: ${model.summary}`);
      const { file, seconds, idealBits } = await compressSet(model, set, o['latent-bits'], o.quiet);
      const decodeStarted = performance.now();
      const where = `the ${plan.key} file`;
      const back = await decodeFile(model, await readCodedFile(file, where), where, o.quiet);
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
