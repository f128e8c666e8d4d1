import { describe, expect, it } from 'vitest';
import {
  assertDecoded,
  assertSameModel,
  CodecFileError,
  type ContainerDescription,
  modelIdentity,
  readContainer,
  sha256,
  writeContainer,
} from './container.js';

const data = Uint8Array.from({ length: 784 }, (_, k) => (k * 37) % 256);

async function sample(): Promise<{ file: Uint8Array; description: ContainerDescription; message: Uint8Array }> {
  const message = Uint8Array.from({ length: 100 }, (_, k) => (k * 11) % 256);
  const description: ContainerDescription = {
    codec: 'rans-test',
    modelHash: await modelIdentity({ className: 'Test' }, new Uint8Array([1, 2, 3])),
    count: 1,
    shape: [28, 28],
    dataHash: await sha256(data),
    precision: 16,
  };
  return { file: await writeContainer(description, message), description, message };
}

describe('the codec file', () => {
  it('reads back what was written', async () => {
    const { file, description, message } = await sample();
    const read = await readContainer(file);
    expect(read.description).toEqual(description);
    expect(Array.from(read.message)).toEqual(Array.from(message));
    await assertDecoded(read.description, data);
    assertSameModel(read.description, description.modelHash);
  });

  it('names each kind of damage before anything is decoded', async () => {
    const { file } = await sample();
    await expect(readContainer(new TextEncoder().encode('PK\u0003\u0004 a zip'), 'x.fc')).rejects.toThrow(/x\.fc is not a flows codec file/);
    await expect(readContainer(file.subarray(0, file.length - 10))).rejects.toThrow(/truncated/);
    const flipped = file.slice();
    flipped[40] ^= 1;
    await expect(readContainer(flipped)).rejects.toThrow(/corrupt: its digest does not match/);
    const newer = file.slice();
    new DataView(newer.buffer).setUint16(8, 7, true);
    await expect(readContainer(newer)).rejects.toThrow(/format version 7, newer than/);
    const joined = new Uint8Array(file.length + 3);
    joined.set(file);
    await expect(readContainer(joined)).rejects.toThrow(/bytes after its end/);
    await expect(readContainer(file.subarray(0, 5))).rejects.toThrow(CodecFileError);
  });

  it('refuses another model, and a decoding that does not match', async () => {
    const { description } = await sample();
    const other = await modelIdentity({ className: 'Test' }, new Uint8Array([1, 2, 4]));
    expect(other).not.toBe(description.modelHash);
    expect(() => assertSameModel(description, other, 'a.fc')).toThrow(/a\.fc was written with another model/);
    const wrong = data.slice();
    wrong[0] ^= 1;
    await expect(assertDecoded(description, wrong)).rejects.toThrow(/does not match the digest/);
  });
});
