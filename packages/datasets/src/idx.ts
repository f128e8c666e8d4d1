/**
 * Reader for the IDX format of the MNIST files (LeCun et al.): a 4-byte magic number
 * `0x00 0x00 <type> <ndim>`, then ndim big-endian uint32 dimensions, then the data. Only the
 * unsigned-byte type (0x08) that MNIST uses is supported. Gzipped files (magic 1f 8b) are
 * inflated first, within the size their header claims: an IDX file may come from anyone, and a
 * crafted header or a gzip bomb must not make the reader allocate gigabytes.
 */
import { importNodeBuiltin } from '@flows/core';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export class DataFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DataFileError';
  }
}

const UNSIGNED_BYTE = 0x08;

/** The most dimensions an IDX file of this reader may declare (MNIST's images have 3). */
const MAX_DIMENSIONS = 4;

/**
 * The most data bytes an IDX file may hold here: 2 GiB, 45 times MNIST's training images, and
 * about what one typed array can hold on every engine.
 */
export const MAX_IDX_DATA_BYTES = 2 ** 31 - 1;

/** The dimensions in an IDX header and the data length they need, checked; `null` while too few bytes are at hand. */
function readHeader(bytes: Uint8Array, file: string): { dims: number[]; headerLength: number; dataLength: number } | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFileError(file, `bad magic number 0x${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')} (not an IDX file)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) throw new DataFileError(file, `unsupported IDX data type 0x${bytes[2].toString(16)} (only unsigned byte, 0x08)`);
  const ndim = bytes[3];
  if (ndim < 1 || ndim > MAX_DIMENSIONS) throw new DataFileError(file, `implausible number of dimensions ${ndim}`);
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // A product of up to four uint32 is exact in a double up to 2^53, far above the cap.
  const dataLength = dims.reduce((a, b) => a * b, 1);
  if (dataLength > MAX_IDX_DATA_BYTES) {
    throw new DataFileError(
      file,
      `its header declares dimensions [${dims.join(', ')}], ${dataLength} data bytes, more than the ${MAX_IDX_DATA_BYTES} bytes this reader accepts (a damaged or crafted header)`,
    );
  }
  return { dims, headerLength, dataLength };
}

/** Parses IDX bytes (already inflated). `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  if (bytes.length < 4) throw new DataFileError(file, `too short for an IDX header (${bytes.length} bytes)`);
  const header = readHeader(bytes, file);
  if (!header) {
    const ndim = bytes[3];
    throw new DataFileError(file, `truncated header: ${ndim} dimensions need ${4 + 4 * ndim} bytes, file has ${bytes.length}`);
  }
  const { dims, headerLength, dataLength: expected } = header;
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    throw new DataFileError(
      file,
      `${actual < expected ? 'truncated' : 'has trailing bytes'}: dimensions [${dims.join(', ')}] need ${expected} data bytes, found ${actual}`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Builds IDX bytes (for tests and for writing small fixtures). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * The compressed bytes read first from a gzipped IDX file to find its header: enough for any
 * gzip header (a stored file name included) and the first deflate block, little enough that even
 * a bomb inflates them to a few megabytes at most (deflate expands at most about 1032 times).
 */
const GZIP_HEADER_PROBE = 4096;

/** Inflates a gzipped IDX file, checking its header before inflating the rest and inflating no more than the header declares. */
async function gunzipIdx(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const zlib = await importNodeBuiltin<typeof import('node:zlib')>('zlib', 'readIdxFile');
  const truncated = () => new DataFileError(file, 'is truncated: its gzip data end before the end of the compressed stream (copy or download the file again)');
  const failed = (error: unknown): DataFileError => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR') return truncated();
    return new DataFileError(file, `corrupt gzip data (${(error as Error).message})`);
  };
  // The start of the stream, inflated as far as it goes: sync-flush tolerates the missing rest.
  let start: Uint8Array;
  try {
    start = zlib.gunzipSync(bytes.subarray(0, GZIP_HEADER_PROBE), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (error) {
    throw failed(error);
  }
  const header = readHeader(start, file);
  if (!header) {
    if (bytes.length <= GZIP_HEADER_PROBE)
      throw start.length < 4 ? truncated() : new DataFileError(file, `is truncated: its inflated data end inside the IDX header (${start.length} bytes)`);
    throw new DataFileError(file, 'corrupt gzip data (its first 4096 bytes inflate to less than an IDX header)');
  }
  const total = header.headerLength + header.dataLength;
  let inflated: Uint8Array;
  try {
    // One byte more than declared is enough to tell trailing data from a file that fits.
    inflated = zlib.gunzipSync(bytes, { maxOutputLength: total + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataFileError(
        file,
        `has trailing bytes: dimensions [${header.dims.join(', ')}] need ${header.dataLength} data bytes, and the gzip data hold more`,
      );
    }
    throw failed(error);
  }
  return inflated;
}

/**
 * IDX bytes as read from a file, inflated when gzipped (magic 1f 8b, Node only; the header checked
 * first, and no more inflated than it declares), else as they are: for readers with their own
 * checks of the inflated bytes.
 */
export async function inflateIdx(bytes: Uint8Array, file = '<buffer>'): Promise<Uint8Array> {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return gzipped ? gunzipIdx(bytes, file) : bytes;
}

/**
 * Parses IDX bytes as read from a file: gzipped (magic 1f 8b, Node only) or raw. The header is
 * checked before anything is inflated or allocated.
 */
export async function parseIdxBytes(bytes: Uint8Array, file = '<buffer>'): Promise<IdxArray> {
  return parseIdx(await inflateIdx(bytes, file), file);
}

/** Reads an IDX file from disk (Node only), gzip or raw. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const { readFile } = await importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'readIdxFile');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataFileError(path, code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? (error as Error).message})`);
  }
  return parseIdxBytes(bytes, path);
}
