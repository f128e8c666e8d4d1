/**
 * The description a flow-codec file carries besides its message, and its check. A `.fcod` file
 * from someone else is untrusted: its digest only proves that nobody changed it by accident (anyone
 * can edit the file and compute the digest again), so every field is checked here, before the
 * model is loaded, anything is decoded or allocated, or any file is written.
 */
import { CodecFileError, type ContainerDescription, MAX_CONTAINER_ELEMENTS, MAX_PRECISION, shownValue } from '@flows/codec';
import { firstCollision, imageNameProblem } from './image-names.js';
import { ImageInputError, type ImageSet, type ImageSource } from './images.js';
import { EXACT_PATH_VERSION, LOCAL_BITS_BACK_SINCE } from './exact-network.js';
import { type ChainRecord, MAX_CHAINS } from './flow-chains.js';

/**
 * The codecs this version writes: rANS over an integer flow's latents, bits-back coding with a VAE,
 * and local bits-back coding with a continuous flow of dequantized, logit-preprocessed pixels.
 */
export const CODECS = ['rans-idf', 'bb-ans-vae', 'local-bits-back-flow'] as const;
export type Codec = (typeof CODECS)[number];

/** The largest height or width of an image in a file. */
export const MAX_IMAGE_SIDE = 2 ** 16;
/** The bounds of the bits-back fields (the library's own limits). */
const MAX_LATENT_SCALE = 2 ** 20;
const MAX_INITIAL_WORDS = 2 ** 20;
/** The largest exact-path version a description may name (a sanity bound: a version is a small whole number). */
const MAX_EXACT_PATH = 2 ** 20;

/** What a coded file holds besides the message. */
export interface CodedDescription extends ContainerDescription {
  codec: Codec;
  shape: [number, number];
  source: ImageSource;
  binarized: boolean;
  latentBits?: number;
  latentScale?: number;
  initialWords?: number;
  /** The logit preprocessing's α of a continuous flow (local-bits-back-flow), which its model records too. */
  logitAlpha?: number;
  /** The chains of a local-bits-back-flow file, in order: their images, initial words and bytes. */
  chains?: ChainRecord[];
  /**
   * The version of the exact path that computed every number deciding a symbol (exact-network.ts's
   * {@link EXACT_PATH_VERSION}); missing in files of versions before it, whose couplings and VAE
   * networks ran on the encoding machine's float32 kernels.
   */
  exactPath?: number;
}

/**
 * What computed a file's symbols, in words for errors: "exact-path version N", or for an older file
 * "flow-codec before exact-path coding (the encoding machine's float32 kernels)".
 */
export function provenance(description: CodedDescription): string {
  return description.exactPath === undefined
    ? 'a flow-codec from before exact-path coding, whose coupling shifts and VAE probabilities came from the float32 kernels of the machine that encoded it'
    : `exact-path version ${description.exactPath}`;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function crafted(where: string, field: string, value: unknown, expected: string): CodecFileError {
  return new CodecFileError(`${where}: the description's ${field} is ${shownValue(value)}, ${expected}: the file is corrupt or was crafted`);
}

/** Throws a {@link CodecFileError} unless `names` are count safe, distinct file names. */
function checkNames(names: unknown, count: number, where: string): void {
  if (!Array.isArray(names)) throw crafted(where, 'source.names', names, 'not a list of file names');
  if (names.length !== count) throw crafted(where, 'source.names', `${names.length} names`, `not one for each of its ${count} images`);
  for (const [k, name] of names.entries()) {
    const problem = imageNameProblem(name);
    if (problem) throw new CodecFileError(`${where}: the description's source.names[${k}] ${problem}: the file is corrupt or was crafted`);
  }
  const collision = firstCollision(names);
  if (collision) {
    const [a, b] = collision;
    throw new CodecFileError(
      `${where}: the description names images ${a} and ${b} ${shownValue(names[a])} and ${shownValue(names[b])}, which are one file on a case-insensitive file system: the file is corrupt or was crafted`,
    );
  }
}

function checkSource(source: unknown, count: number, where: string): ImageSource {
  if (typeof source !== 'object' || source === null || Array.isArray(source))
    throw crafted(where, 'source', source, 'not an object with a kind (idx, mnist or png)');
  const { kind, split, names } = source as Record<string, unknown>;
  if (kind === 'idx') return { kind };
  if (kind === 'mnist') {
    if (split !== 'test' && split !== 'train') throw crafted(where, 'source.split', split, 'neither test nor train');
    return { kind, split };
  }
  if (kind === 'png') {
    checkNames(names, count, where);
    return { kind, names: names as string[] };
  }
  throw crafted(where, 'source.kind', kind, 'none of idx, mnist and png');
}

function wholeNumber(value: unknown, low: number, high: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= low && (value as number) <= high;
}

/**
 * Checks every field of a flow-codec description that `readContainer` left to the application,
 * and returns it typed; throws a {@link CodecFileError} that names the field, its value (escaped and
 * cut short) and "the file is corrupt or was crafted". Fields this version does not use are ignored.
 */
export function validateCodedDescription(description: ContainerDescription, where: string): CodedDescription {
  const { codec, modelHash, dataHash, count, shape, binarized } = description;
  if (!(CODECS as readonly string[]).includes(codec))
    throw new CodecFileError(
      `${where}: the description's codec is ${shownValue(codec)}, which this version does not know (it reads ${CODECS.join(' and ')}): the file is corrupt or was crafted, or needs a newer flow-codec`,
    );
  for (const [field, value] of [
    ['modelHash', modelHash],
    ['dataHash', dataHash],
  ] as const)
    if (!SHA256_HEX.test(value)) throw crafted(where, field, value, 'not a SHA-256 digest (64 hexadecimal digits)');
  if (shape.length !== 2) throw crafted(where, 'shape', shape, 'not the height and width of an image');
  for (const [k, side] of shape.entries()) if (side > MAX_IMAGE_SIDE) throw crafted(where, `shape[${k}]`, side, `more than ${MAX_IMAGE_SIDE} pixels`);
  const vae = codec === 'bb-ans-vae';
  if (binarized !== vae) throw crafted(where, 'binarized', binarized, `not ${vae} as the codec ${codec} writes`);
  if (vae) {
    const { latentBits, latentScale, initialWords } = description;
    if (!wholeNumber(latentBits, 1, MAX_PRECISION)) throw crafted(where, 'latentBits', latentBits, `not a whole number from 1 to ${MAX_PRECISION}`);
    if (!(typeof latentScale === 'number' && latentScale > 0 && latentScale <= MAX_LATENT_SCALE))
      throw crafted(where, 'latentScale', latentScale, 'not a number above 0 and at most 2^20');
    if (!wholeNumber(initialWords, 2, MAX_INITIAL_WORDS)) throw crafted(where, 'initialWords', initialWords, 'not a whole number from 2 to 2^20');
  }
  if (codec === 'local-bits-back-flow') {
    const { chains, logitAlpha, exactPath } = description;
    if (!(Array.isArray(chains) && chains.length >= 1 && chains.length <= MAX_CHAINS))
      throw crafted(where, 'chains', chains, `not a list of 1 to ${MAX_CHAINS} chains`);
    let images = 0;
    for (const [k, chain] of chains.entries()) {
      const { count: n, initialWords, bytes } = (typeof chain === 'object' && chain !== null ? chain : {}) as Record<string, unknown>;
      if (!wholeNumber(n, 1, MAX_CONTAINER_ELEMENTS)) throw crafted(where, `chains[${k}].count`, n, 'not a whole number of images ≥ 1');
      if (!wholeNumber(initialWords, 2, MAX_INITIAL_WORDS))
        throw crafted(where, `chains[${k}].initialWords`, initialWords, 'not a whole number from 2 to 2^20');
      if (!wholeNumber(bytes, 8, MAX_CONTAINER_ELEMENTS * 8)) throw crafted(where, `chains[${k}].bytes`, bytes, 'not a whole number of bytes ≥ 8');
      images += n as number;
    }
    if (images !== count) throw crafted(where, 'chains', `${images} images in all`, `not its count ${count}`);
    if (!(typeof logitAlpha === 'number' && logitAlpha > 0 && logitAlpha < 0.5))
      throw crafted(where, 'logitAlpha', logitAlpha, 'not a number between 0 and 0.5');
    if (exactPath === undefined) throw crafted(where, 'exactPath', exactPath, 'but every local-bits-back-flow file records one');
  }
  const { exactPath } = description;
  if (exactPath !== undefined) {
    if (!wholeNumber(exactPath, 1, MAX_EXACT_PATH)) throw crafted(where, 'exactPath', exactPath, 'not a whole number from 1 to 2^20');
    if ((exactPath as number) > EXACT_PATH_VERSION)
      throw new CodecFileError(
        `${where} was written by exact-path version ${exactPath}, and this flow-codec decodes exact-path version ${EXACT_PATH_VERSION}: decode it with a newer flow-codec`,
      );
    if (codec === 'local-bits-back-flow' && (exactPath as number) < LOCAL_BITS_BACK_SINCE)
      throw new CodecFileError(
        `${where} was written by exact-path version ${exactPath}, whose local bits-back steps this flow-codec (exact-path version ${EXACT_PATH_VERSION}) no longer takes: decode it with the flow-codec that wrote it`,
      );
  } else if (vae)
    // Its probabilities came from float32 networks and its seed words lay in another order: not reproducible here.
    throw new CodecFileError(
      `${where} was written by ${provenance(description as CodedDescription)}, and this flow-codec decodes exact-path version ${EXACT_PATH_VERSION}: bits-back files of that version decode only with the flow-codec and the backend that wrote them`,
    );
  const source = checkSource(description.source, count, where);
  return { ...description, codec: codec as Codec, shape: [shape[0], shape[1]], binarized, source };
}

/**
 * Throws an {@link ImageInputError} unless compress can write a file of these images that
 * decompress will read back: at most 2^28 pixels in all and 2^16 on a side, and PNG names that
 * {@link imageNameProblem} accepts and no two of which are one file on a case-insensitive system.
 * Checked before the model is loaded, so that nothing is coded for nothing.
 */
export function checkCodable(set: ImageSet, where: string): void {
  if (set.count < 1) throw new ImageInputError(`${where} holds no images`);
  if (set.height > MAX_IMAGE_SIDE || set.width > MAX_IMAGE_SIDE)
    throw new ImageInputError(`${where}: images of ${set.height}×${set.width} are more than ${MAX_IMAGE_SIDE} pixels on a side, the most a file holds`);
  if (set.count * set.height * set.width > MAX_CONTAINER_ELEMENTS)
    throw new ImageInputError(
      `${where}: ${set.count} images of ${set.height}×${set.width} are more than 2^28 pixels, the most one file holds; code fewer at a time with --limit`,
    );
  if (set.source.kind !== 'png') return;
  const { names } = set.source;
  for (const name of names) {
    const problem = imageNameProblem(name);
    if (problem) throw new ImageInputError(`${where}: the image name ${shownValue(name)} ${problem}, so decompress could not write it back safely; rename it`);
  }
  const collision = firstCollision(names);
  if (collision)
    throw new ImageInputError(
      `${where}: ${shownValue(names[collision[0]])} and ${shownValue(names[collision[1]])} would be one file on a case-insensitive file system (Windows, macOS); rename one of them`,
    );
}
