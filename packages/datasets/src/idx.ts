/**
 * Reader for the IDX format of the MNIST files (LeCun et al.): a 4-byte magic number
 * `0x00 0x00 <type> <ndim>`, then ndim big-endian uint32 dimensions, then the data. Only the
 * unsigned-byte type (0x08) that MNIST uses is supported. Gzipped files (magic 1f 8b) are
 * inflated first.
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

/** Parses IDX bytes (already inflated). `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  if (bytes.length < 4) throw new DataFileError(file, `too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFileError(file, `bad magic number 0x${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')} (not an IDX file)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) throw new DataFileError(file, `unsupported IDX data type 0x${bytes[2].toString(16)} (only unsigned byte, 0x08)`);
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) throw new DataFileError(file, `implausible number of dimensions ${ndim}`);
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) throw new DataFileError(file, `truncated header: ${ndim} dimensions need ${headerLength} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
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
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const { gunzipSync } = await importNodeBuiltin<typeof import('node:zlib')>('zlib', 'readIdxFile');
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DataFileError(path, `corrupt gzip data (${(error as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}
