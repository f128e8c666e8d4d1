/**
 * A reader of the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON (`{ name: { dtype, shape, data_offsets } }` and an
 * optional `__metadata__` map of strings), then the raw little-endian arrays. No npm package is a
 * kept reader for Node and the browser alike, and the format is small, so it is read here.
 *
 * The file is untrusted: the header length is bounded by the file, every offset lies inside the
 * data, no two tensors overlap, each shape's element count matches its byte length, and dtypes
 * outside those read here are refused by name, all before any array is read.
 */

/** Thrown for a file that is not valid safetensors, naming what is wrong. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** The element types read here; others (F8, I8, U16, …) are refused by name. */
export const SAFETENSORS_DTYPES = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32', 'BOOL', 'U8'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, BOOL: 1, U8: 1 };

/** One tensor of a safetensors file: its type and shape, and where its bytes are. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Number of elements (the product of the shape). */
  readonly size: number;
  /** Byte range within the file. */
  readonly begin: number;
  readonly end: number;
}

/** A parsed safetensors file: the entries by name and the metadata; values are decoded on demand. */
export class SafetensorsFile {
  constructor(
    private readonly bytes: Uint8Array,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Tensor names, sorted. */
  get names(): string[] {
    return [...this.entries.keys()].sort();
  }

  entry(name: string): SafetensorsEntry {
    const entry = this.entries.get(name);
    if (!entry)
      throw new SafetensorsError(
        `no tensor named '${name}' in the file (it has ${this.entries.size}: ${this.names.slice(0, 8).join(', ')}${this.entries.size > 8 ? ', …' : ''})`,
      );
    return entry;
  }

  /** A tensor's values as float32 (floats converted; integers and booleans as numbers). */
  float32(name: string): Float32Array {
    const entry = this.entry(name);
    const { begin, size, dtype } = entry;
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + begin, entry.end - begin);
    // The common case without a per-element loop: aligned float32 on a little-endian host.
    if (dtype === 'F32' && (this.bytes.byteOffset + begin) % 4 === 0 && LITTLE_ENDIAN_HOST) {
      return new Float32Array(this.bytes.buffer.slice(this.bytes.byteOffset + begin, this.bytes.byteOffset + entry.end));
    }
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = readNumber(view, dtype, i, name);
    return out;
  }

  /** A tensor's values as 0 (zero or false) and 1 (anything else): masks stored as booleans or numbers. */
  flags(name: string): Uint8Array {
    const entry = this.entry(name);
    const out = new Uint8Array(entry.size);
    if (entry.dtype === 'BOOL' || entry.dtype === 'U8') {
      const bytes = this.bytes.subarray(entry.begin, entry.end);
      for (let i = 0; i < out.length; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      return out;
    }
    const values = this.float32(name);
    for (let i = 0; i < out.length; i++) out[i] = values[i] === 0 ? 0 : 1;
    return out;
  }

  /** A tensor's values as float64 numbers (exact for every type read here; I64 must be a safe integer). */
  float64(name: string): Float64Array {
    const entry = this.entry(name);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + entry.begin, entry.end - entry.begin);
    const out = new Float64Array(entry.size);
    for (let i = 0; i < entry.size; i++) out[i] = readNumber(view, entry.dtype, i, name);
    return out;
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readNumber(view: DataView, dtype: SafetensorsDtype, i: number, name: string): number {
  switch (dtype) {
    case 'F32':
      return view.getFloat32(4 * i, true);
    case 'F64':
      return view.getFloat64(8 * i, true);
    case 'F16':
      return halfToNumber(view.getUint16(2 * i, true));
    case 'BF16':
      return bfloat16ToNumber(view.getUint16(2 * i, true));
    case 'I64': {
      const value = view.getBigInt64(8 * i, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(-Number.MAX_SAFE_INTEGER)) {
        throw new SafetensorsError(`tensor '${name}': element ${i} (${value}) is beyond the integers a number holds exactly`);
      }
      return Number(value);
    }
    case 'I32':
      return view.getInt32(4 * i, true);
    case 'BOOL':
      return view.getUint8(i) === 0 ? 0 : 1;
    case 'U8':
      return view.getUint8(i);
  }
}

/** IEEE 754 half precision to a number (subnormals, infinities and NaN included). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bfloat16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 (the upper half of a float32) to a number. */
export function bfloat16ToNumber(bits: number): number {
  bfloat16Scratch.setUint32(0, bits << 16);
  return bfloat16Scratch.getFloat32(0);
}

/** Headers larger than this are refused before they are decoded (the format's own reader caps them at 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and checks a safetensors file. Throws {@link SafetensorsError} naming the first problem:
 * a file too short for its header, a header that is not a JSON object, an entry without a known
 * dtype, a shape, or offsets inside the data, overlapping tensors, or a byte length that does not
 * match the shape.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('expected the file as bytes (a Uint8Array)');
  if (bytes.byteLength < 8)
    throw new SafetensorsError(`the file has ${bytes.byteLength} bytes, fewer than the 8 of the header length: it is not safetensors or it is truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(Math.min(bytes.byteLength - 8, MAX_HEADER_BYTES))) {
    throw new SafetensorsError(
      `the header length ${declared} exceeds the ${bytes.byteLength - 8} bytes after it${declared > BigInt(MAX_HEADER_BYTES) ? ` (and the ${MAX_HEADER_BYTES}-byte limit)` : ''}: the file is not safetensors or it is truncated`,
    );
  }
  const headerLength = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new SafetensorsError(`the header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = readMetadata(raw);
      continue;
    }
    const entry = readEntry(name, raw, dataLength);
    entries.set(name, { ...entry, begin: entry.begin + dataStart, end: entry.end + dataStart });
  }
  const ordered = [...entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ordered.length; i++) {
    const [previous, current] = [ordered[i - 1], ordered[i]];
    if (current.begin < previous.end && current.end > current.begin) {
      throw new SafetensorsError(
        `tensors '${previous.name}' and '${current.name}' overlap (bytes ${previous.begin - dataStart}-${previous.end - dataStart} and ${current.begin - dataStart}-${current.end - dataStart})`,
      );
    }
  }
  return new SafetensorsFile(bytes, entries, metadata);
}

function readMetadata(raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError('__metadata__ must be an object of strings');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new SafetensorsError(`__metadata__ entry '${key}' must be a string, got ${typeof value}`);
  }
  return { ...(raw as Record<string, string>) };
}

function readEntry(name: string, raw: unknown, dataLength: number): SafetensorsEntry {
  const who = `tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(`${who}: its header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string') throw new SafetensorsError(`${who}: no dtype`);
  if (!(SAFETENSORS_DTYPES as readonly string[]).includes(dtype)) {
    throw new SafetensorsError(`${who}: dtype ${dtype} is not read here (read: ${SAFETENSORS_DTYPES.join(', ')}); save the state_dict in float32`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new SafetensorsError(`${who}: shape must be a list of non-negative integers`);
  let size = 1;
  for (const d of shape as number[]) {
    size *= d;
    if (!Number.isSafeInteger(size)) throw new SafetensorsError(`${who}: shape [${shape.join(', ')}] has more elements than a file can hold`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    throw new SafetensorsError(`${who}: data_offsets must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) throw new SafetensorsError(`${who}: data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
  const itemSize = ITEM_SIZE[dtype as SafetensorsDtype];
  if (end - begin !== size * itemSize) {
    throw new SafetensorsError(`${who}: ${end - begin} bytes for shape [${shape.join(', ')}] of ${dtype}, which needs ${size * itemSize}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], size, begin, end };
}

/**
 * Writes tensors as safetensors (float32, int64 as given, booleans): for tests, and for the
 * opposite direction. Tensors are laid out in name order, the header padded to 8 bytes.
 */
export function writeSafetensors(
  tensors: Record<string, { dtype: 'F32' | 'I64' | 'BOOL'; shape: number[]; values: ArrayLike<number> }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, values } = tensors[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new SafetensorsError(`tensor '${name}': ${values.length} values for shape [${shape.join(', ')}]`);
    const length = size * ITEM_SIZE[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  if (metadata) header.__metadata__ = metadata;
  let text = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (text.length % 8)) % 8;
  if (padding) text = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padding));
  const out = new Uint8Array(8 + text.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let position = 8 + text.length;
  for (const name of names) {
    const { dtype, values } = tensors[name];
    for (let i = 0; i < values.length; i++) {
      if (dtype === 'F32') view.setFloat32(position + 4 * i, values[i], true);
      else if (dtype === 'I64') view.setBigInt64(position + 8 * i, BigInt(values[i]), true);
      else view.setUint8(position + i, values[i] ? 1 : 0);
    }
    position += values.length * ITEM_SIZE[dtype];
  }
  return out;
}
