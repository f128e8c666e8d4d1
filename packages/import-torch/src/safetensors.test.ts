import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bfloat16ToNumber, halfToNumber, readSafetensors, SafetensorsError, writeSafetensors } from './safetensors.js';
import { FIXTURES } from './test-support.js';

/** A file with the given header object and data bytes (no checks: for hostile cases). */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

describe('readSafetensors', () => {
  it('reads what writeSafetensors writes: float32, int64, booleans and metadata', () => {
    const bytes = writeSafetensors(
      {
        'layer.weight': { dtype: 'F32', shape: [2, 3], values: [1, -2.5, 3, 0.125, 1e-8, -7] },
        'layer.degrees': { dtype: 'I64', shape: [3], values: [1, 2, 9007199254740991] },
        'layer.mask': { dtype: 'BOOL', shape: [2], values: [1, 0] },
      },
      { format: 'pt' },
    );
    const file = readSafetensors(bytes);
    expect(file.names).toEqual(['layer.degrees', 'layer.mask', 'layer.weight']);
    expect(Array.from(file.float32('layer.weight'))).toEqual(Array.from(Float32Array.from([1, -2.5, 3, 0.125, 1e-8, -7])));
    expect(Array.from(file.float64('layer.degrees'))).toEqual([1, 2, 9007199254740991]);
    expect(Array.from(file.float32('layer.mask'))).toEqual([1, 0]);
    expect(file.entry('layer.weight').shape).toEqual([2, 3]);
    expect(file.metadata).toEqual({ format: 'pt' });
  });

  it('reads the files PyTorch writes (a fixture: float32 weights, int64 and bool buffers)', () => {
    const file = readSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'nflows-maf', 'flow.safetensors'))));
    const degrees = file.names.find((n) => n.endsWith('initial_layer.degrees'))!;
    expect(file.entry(degrees).dtype).toBe('I64');
    expect(Math.min(...file.float64(degrees))).toBeGreaterThanOrEqual(1);
    const weight = file.names.find((n) => n.endsWith('initial_layer.weight'))!;
    expect(file.entry(weight).dtype).toBe('F32');
    expect(file.float32(weight).every(Number.isFinite)).toBe(true);
  });

  it('decodes half and bfloat16, with their subnormals and specials', () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0xc000)).toBe(-2);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(bfloat16ToNumber(0x3f80)).toBe(1);
    expect(bfloat16ToNumber(0xc0a0)).toBe(-5);
    const half = rawFile(
      { h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } },
      Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f]),
    );
    expect(Array.from(readSafetensors(half).float32('h'))).toEqual([1, -2]);
    expect(Array.from(readSafetensors(half).float32('b'))).toEqual([1]);
  });

  it('refuses hostile files by name, before reading any array', () => {
    const f32 = (begin: number, end: number, shape = [1]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short', new Uint8Array(5), /fewer than the 8 of the header length/],
      ['header longer than the file', rawFile({}, new Uint8Array(0), 1000n), /header length 1000 exceeds the 2 bytes after it/],
      ['an absurd header length', rawFile({}, new Uint8Array(0), 2n ** 63n), /exceeds/],
      ['not JSON', rawFile('{"a": '), /not UTF-8 JSON/],
      ['not an object', rawFile('[1, 2]'), /not a JSON object/],
      ['an unknown dtype', rawFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /dtype F8_E4M3 is not read here/],
      ['offsets outside the data', rawFile({ w: f32(0, 8, [2]) }, new Uint8Array(4)), /lie outside the 4 data bytes/],
      ['reversed offsets', rawFile({ w: f32(4, 0) }, new Uint8Array(4)), /lie outside/],
      ['a shape that does not match the bytes', rawFile({ w: f32(0, 4, [2]) }, new Uint8Array(8)), /4 bytes for shape \[2\] of F32, which needs 8/],
      ['a negative dimension', rawFile({ w: f32(0, 4, [-1]) }, new Uint8Array(4)), /shape must be a list of non-negative integers/],
      ['a shape too large to count', rawFile({ w: f32(0, 4, [2 ** 40, 2 ** 40]) }, new Uint8Array(4)), /more elements than a file can hold/],
      ['overlapping tensors', rawFile({ a: f32(0, 8, [2]), b: f32(4, 12, [2]) }, new Uint8Array(12)), /'a' and 'b' overlap/],
      ['metadata that is not strings', rawFile({ __metadata__: { n: 1 } }), /__metadata__ entry 'n' must be a string/],
      ['an entry that is not an object', rawFile({ w: 3 }), /its header entry is not an object/],
    ];
    for (const [what, bytes, message] of cases) {
      expect(() => readSafetensors(bytes), what).toThrow(SafetensorsError);
      expect(() => readSafetensors(bytes), what).toThrow(message);
    }
    expect(() => readSafetensors(writeSafetensors({ a: { dtype: 'F32', shape: [1], values: [1] } })).float32('b')).toThrow(/no tensor named 'b'/);
  });

  it('refuses int64 values beyond what a number holds exactly', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 60n, true);
    const file = readSafetensors(rawFile({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data));
    expect(() => file.float64('i')).toThrow(/beyond the integers a number holds exactly/);
  });
});
