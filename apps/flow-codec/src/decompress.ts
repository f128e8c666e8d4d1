// flow-codec decompress: decode a received file back into images, exactly, inside --out only.
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { assertSameModel, CodecFileError, decodeBitsBack, RansError, readContainer, sha256 } from '@flows/codec';
import { defineOptions, describeOptions, formatDuration, modelReferenceHelp, parseOptions, UsageError } from '@flows/cli-kit';
import { decodeIdf } from './idf-coding.js';
import { workerRunner } from './chain-workers.js';
import { decodeInChains, runHere } from './flow-chains.js';
import { type CodedDescription, provenance, validateCodedDescription } from './coded-description.js';
import { EXACT_PATH_VERSION } from './exact-network.js';
import { type ImageSet, writeImages } from './images.js';
import { type CodecModel, loadCodecModel } from './models.js';
import { describeWriteError, partialFolder, preflightOutputFolder } from './output-paths.js';
import { vaeBitsBackModel } from './vae-bits-back.js';

import { BACKEND_OPTIONS, LATENT_BITS_OPTION, startBackend, progress, positional } from './shared-options.js';

export const DECOMPRESS_OPTIONS = defineOptions({
  model: { kind: 'string', required: true, description: `the model the file was written with (its identity is checked): a folder, ${modelReferenceHelp()}` },
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

/**
 * Reads a coded file and checks its whole description ({@link validateCodedDescription}): what can
 * be known without the model, so a crafted or corrupt file is refused before a model is loaded.
 */
export async function readCodedFile(fileBytes: Uint8Array, where: string): Promise<{ description: CodedDescription; message: Uint8Array }> {
  const { description, message } = await readContainer(fileBytes, where);
  return { description: validateCodedDescription(description, where), message };
}

/**
 * Why a file that passed every check of its description still does not decode: for a file of this
 * version's exact path, damage or crafting (the digest only proves that nobody changed it by
 * accident); for another version's, that version's arithmetic, which this one does not reproduce.
 */
function undecodableReason(description: CodedDescription): string {
  // Every version this one reads computes its codec's numbers as this one does (see EXACT_PATH_VERSION).
  if (description.exactPath !== undefined && description.exactPath <= EXACT_PATH_VERSION)
    return `the file was written by exact-path version ${description.exactPath}, which this flow-codec decodes: it is corrupt or was crafted, or was written with other settings`;
  return `the file was written by ${provenance(description)}, and this flow-codec decodes exact-path version ${EXACT_PATH_VERSION}: decode it with the flow-codec (and the backend) that wrote it`;
}

/** Throws unless the decoded data has the digest the file recorded, naming why a file may not decode here. */
async function checkDecoded(description: CodedDescription, decoded: Uint8Array, where: string): Promise<void> {
  if ((await sha256(decoded)) !== description.dataHash)
    throw new CodecFileError(
      `${where}: the decoded images do not match the checksum recorded when it was written: ${undecodableReason(description)}; nothing is written`,
    );
}

export async function decodeFile(
  model: CodecModel,
  coded: { description: CodedDescription; message: Uint8Array },
  where: string,
  quiet?: boolean,
  workers?: number,
): Promise<ImageSet> {
  const { description, message } = coded;
  assertSameModel(description, model.identity, where);
  const [height, width] = description.shape;
  const size = height * width;
  if (description.codec === 'bb-ans-vae' && model.kind !== 'vae') throw new UsageError(`${where} was written by bits-back coding with a VAE`);
  if (description.codec === 'rans-idf' && model.kind !== 'idf') throw new UsageError(`${where} was written with an integer discrete flow`);
  if (description.codec === 'local-bits-back-flow' && model.kind !== 'flow')
    throw new UsageError(`${where} was written by local bits-back coding with a continuous flow`);
  if (description.codec !== 'local-bits-back-flow' && model.kind === 'flow')
    throw new UsageError(
      `${where} was written ${description.codec === 'bb-ans-vae' ? 'by bits-back coding with a VAE' : 'with an integer discrete flow'}, not with a continuous flow`,
    );
  if (model.kind === 'flow' && description.logitAlpha !== model.logitAlpha)
    throw new CodecFileError(
      `${where}: the description's logitAlpha ${description.logitAlpha} is not its model's ${model.logitAlpha}: the file is corrupt or was crafted`,
    );
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
      await checkDecoded(description, bits, where);
      pixels = bits.map((bit) => bit * 255);
    } else if (model.kind === 'flow') {
      const images = await decodeInChains(model.compiled, message, description.count, description.chains ?? [], {
        alpha: model.logitAlpha,
        run: workerRunner(workers) ?? runHere,
        onProgress: progress(quiet, description.count, 'local bits-back decode'),
      });
      pixels = new Uint8Array(description.count * size);
      images.forEach((image, k) => pixels.set(image, k * size));
      await checkDecoded(description, pixels, where);
    } else {
      pixels = decodeIdf(model.flow, message, description.count, size, progress(quiet, description.count, 'IDF decode'));
      await checkDecoded(description, pixels, where);
    }
  } catch (error) {
    // The message is as untrusted as the description: what decoding finds wrong is the file's fault.
    if (error instanceof RansError || error instanceof RangeError)
      throw new CodecFileError(`${where} does not decode (${error.message}): ${undecodableReason(description)}; nothing is written`);
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
    const set = await decodeFile(model, coded, input, o.quiet, o.workers);
    const written = await writeDecodedFolder(o.out, set);
    console.log(
      `${o.out}: ${written} (${set.count} ${coded.description.binarized ? 'binarized ' : ''}images of ${set.height}×${set.width}, checksum matches), in ${formatDuration((performance.now() - started) / 1000)}`,
    );
  } finally {
    model.dispose();
  }
}
