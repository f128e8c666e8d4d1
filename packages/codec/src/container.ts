/**
 * The file a codec writes: a fixed header that says what the file is, a JSON description of what
 * it holds, the coded message, and a digest over all of it.
 *
 * ```
 * bytes 0-7    magic "FLOWSCOD"
 * bytes 8-9    format version (uint16, little-endian)
 * bytes 10-13  length H of the description (uint32)
 * bytes 14-..  the description: UTF-8 JSON (the model's identity, what was coded, the SHA-256 of the decoded data)
 * then         length P of the message (uint32), the message (P bytes)
 * last 32      SHA-256 of everything before it
 * ```
 *
 * Reading checks, in order, that the magic is there, that the version is one this code reads,
 * that nothing is missing, and that the digest matches, and says which failed; then that the
 * description has the fields every file has, of the right types and within
 * {@link MAX_CONTAINER_ELEMENTS}. Decoding with another model is caught by the model's identity in
 * the description ({@link assertSameModel}), and a wrong decoded result by the data digest
 * ({@link assertDecoded}).
 *
 * What the digests are for: they catch accidental damage (a flipped bit, a truncated download) and
 * decoding with the wrong model. They are not a signature: anyone can edit a file and compute the
 * digest again, so a file from someone else is untrusted input however well its digest matches.
 * Its description is checked field by field here, and an application checks its own fields (file
 * names, sizes) before it decodes or writes anything.
 */

const MAGIC = new TextEncoder().encode('FLOWSCOD');
/** The version of the files this module writes. */
export const CONTAINER_VERSION = 1;
const DIGEST_BYTES = 32;

/**
 * The most elements a file may describe (its count times the product of its shape): 2^28, a
 * quarter GiB of 8-bit pixels (MNIST's 70 000 images are 55 million). A decoder allocates its
 * output from these numbers, so a crafted description must not be able to ask for more.
 */
export const MAX_CONTAINER_ELEMENTS = 2 ** 28;
/** The most dimensions of one item's shape. */
const MAX_SHAPE_DIMENSIONS = 8;
/** The longest codec name, model identity or data digest a description may hold. */
const MAX_TAG_LENGTH = 256;

/** What a file holds, besides the message. */
export interface ContainerDescription {
  /** Which coder and model kind produced the message, e.g. `'rans-idf'` or `'bb-ans-vae'`. */
  codec: string;
  /** SHA-256 (hex) of the model's config and weights: decoding needs the same model. */
  modelHash: string;
  /** How many items (images) were coded, and the shape of one. */
  count: number;
  shape: number[];
  /** SHA-256 (hex) of the decoded data, checked after decoding. */
  dataHash: string;
  /** Anything else the codec needs to decode (its precision, the initial bits it borrowed). */
  [key: string]: unknown;
}

/** A codec file that is not one, is damaged, is too new, or does not decode with what was given. */
export class CodecFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecFileError';
  }
}

/** SHA-256 of the bytes as hex, through the platform's Web Crypto (Node 20 and browsers alike). */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The identity of a model: SHA-256 over its JSON description and its weight bytes. */
export async function modelIdentity(description: unknown, weights: Uint8Array): Promise<string> {
  const text = new TextEncoder().encode(JSON.stringify(description));
  const joined = new Uint8Array(text.length + weights.length);
  joined.set(text);
  joined.set(weights, text.length);
  return sha256(joined);
}

/** A value of a description for a message: short, and with control characters escaped (JSON's quoting). */
export function shownValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Why a description lacks what every file has, or `null` when it is sound: a JSON object whose
 * `codec`, `modelHash` and `dataHash` are short non-empty strings, `count` a whole number ≥ 1,
 * `shape` 1 to 8 whole numbers ≥ 1, and count × the product of the shape at most
 * {@link MAX_CONTAINER_ELEMENTS}. The problem starts with the field's name.
 */
export function descriptionProblem(description: unknown): string | null {
  if (typeof description !== 'object' || description === null || Array.isArray(description))
    return `description is ${shownValue(description)}, not an object of named fields`;
  const d = description as Record<string, unknown>;
  for (const field of ['codec', 'modelHash', 'dataHash']) {
    const value = d[field];
    if (!(typeof value === 'string' && value.length >= 1 && value.length <= MAX_TAG_LENGTH))
      return `description's ${field} is ${shownValue(value)}, not a string of 1 to ${MAX_TAG_LENGTH} characters`;
  }
  const { count, shape } = d;
  if (!(Number.isSafeInteger(count) && (count as number) >= 1 && (count as number) <= MAX_CONTAINER_ELEMENTS))
    return `description's count is ${shownValue(count)}, not a whole number from 1 to 2^28`;
  if (!(Array.isArray(shape) && shape.length >= 1 && shape.length <= MAX_SHAPE_DIMENSIONS))
    return `description's shape is ${shownValue(shape)}, not a list of 1 to ${MAX_SHAPE_DIMENSIONS} sizes`;
  let elements = count as number;
  for (const [k, size] of shape.entries()) {
    if (!(Number.isSafeInteger(size) && size >= 1 && size <= MAX_CONTAINER_ELEMENTS))
      return `description's shape[${k}] is ${shownValue(size)}, not a whole number from 1 to 2^28`;
    elements *= size;
    if (elements > MAX_CONTAINER_ELEMENTS)
      return `description's count and shape (${count} items of ${shape.join('×')}) make more than 2^28 = ${MAX_CONTAINER_ELEMENTS} elements, the most a file holds`;
  }
  return null;
}

/** Writes a codec file; throws a RangeError for a description that {@link readContainer} would refuse. */
export async function writeContainer(description: ContainerDescription, message: Uint8Array): Promise<Uint8Array> {
  const problem = descriptionProblem(description);
  if (problem) throw new RangeError(`cannot write this codec file: its ${problem}`);
  const json = new TextEncoder().encode(JSON.stringify(description));
  const body = new Uint8Array(MAGIC.length + 2 + 4 + json.length + 4 + message.length);
  const view = new DataView(body.buffer);
  body.set(MAGIC, 0);
  view.setUint16(8, CONTAINER_VERSION, true);
  view.setUint32(10, json.length, true);
  body.set(json, 14);
  view.setUint32(14 + json.length, message.length, true);
  body.set(message, 18 + json.length);
  const digest = hexToBytes(await sha256(body));
  const file = new Uint8Array(body.length + DIGEST_BYTES);
  file.set(body);
  file.set(digest, body.length);
  return file;
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, k) => Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16));
}

/**
 * Reads a codec file, checking it before anything is decoded; throws a {@link CodecFileError} naming
 * the problem. The description's common fields are checked ({@link descriptionProblem}); any others
 * are the caller's to check before use.
 */
export async function readContainer(file: Uint8Array, where = 'the file'): Promise<{ description: ContainerDescription; message: Uint8Array }> {
  if (file.length < MAGIC.length || !MAGIC.every((byte, k) => file[k] === byte))
    throw new CodecFileError(`${where} is not a flows codec file (it does not start with FLOWSCOD)`);
  if (file.length < 14) throw new CodecFileError(`${where} is truncated: ${file.length} bytes, not even a header`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint16(8, true);
  if (version > CONTAINER_VERSION)
    throw new CodecFileError(`${where} has format version ${version}, newer than this version of @flows/codec reads (${CONTAINER_VERSION}): update it`);
  if (version < 1) throw new CodecFileError(`${where} has format version ${version}, which no release wrote: the file is corrupt`);
  const jsonLength = view.getUint32(10, true);
  if (file.length < 18 + jsonLength) throw new CodecFileError(`${where} is truncated: its description needs ${jsonLength} bytes`);
  const messageLength = view.getUint32(14 + jsonLength, true);
  const bodyLength = 18 + jsonLength + messageLength;
  if (file.length < bodyLength + DIGEST_BYTES) throw new CodecFileError(`${where} is truncated: ${file.length} bytes of ${bodyLength + DIGEST_BYTES}`);
  if (file.length > bodyLength + DIGEST_BYTES)
    throw new CodecFileError(`${where} has ${file.length - bodyLength - DIGEST_BYTES} bytes after its end: it is corrupt or two files joined`);
  const expected = await sha256(file.subarray(0, bodyLength));
  const found = Array.from(file.subarray(bodyLength), (b) => b.toString(16).padStart(2, '0')).join('');
  if (expected !== found) throw new CodecFileError(`${where} is corrupt: its digest does not match its contents`);
  let description: ContainerDescription;
  try {
    description = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(14, 14 + jsonLength)));
  } catch (error) {
    throw new CodecFileError(`${where}: its description is not valid UTF-8 JSON (${(error as Error).message}): the file is corrupt or was crafted`);
  }
  const problem = descriptionProblem(description);
  if (problem) throw new CodecFileError(`${where}: the ${problem}: the file is corrupt or was crafted`);
  return { description, message: file.slice(18 + jsonLength, bodyLength) };
}

/** Throws unless the file was written with the model of identity `modelHash`. */
export function assertSameModel(description: ContainerDescription, modelHash: string, where = 'the file'): void {
  if (description.modelHash !== modelHash)
    throw new CodecFileError(
      `${where} was written with another model (identity ${description.modelHash.slice(0, 12)}…, this one is ${modelHash.slice(0, 12)}…): decode it with the model that wrote it`,
    );
}

/** Throws unless the decoded data has the digest the file recorded. */
export async function assertDecoded(description: ContainerDescription, decoded: Uint8Array, where = 'the file'): Promise<void> {
  const found = await sha256(decoded);
  if (found !== description.dataHash)
    throw new CodecFileError(`${where}: the decoded data does not match the digest recorded when it was written; nothing is written`);
}
