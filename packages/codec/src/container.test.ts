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

  it('checks every field every file has before returning the description: a file can be edited and its digest computed again', async () => {
    const { description, message } = await sample();
    // What an attacker writes: any JSON, with the file's digest recomputed over it.
    const crafted = async (json: string | Uint8Array) => {
      const text = typeof json === 'string' ? new TextEncoder().encode(json) : json;
      const body = new Uint8Array(18 + text.length + message.length);
      const view = new DataView(body.buffer);
      body.set(new TextEncoder().encode('FLOWSCOD'));
      view.setUint16(8, 1, true);
      view.setUint32(10, text.length, true);
      body.set(text, 14);
      view.setUint32(14 + text.length, message.length, true);
      body.set(message, 18 + text.length);
      const file = new Uint8Array(body.length + 32);
      file.set(body);
      file.set(new Uint8Array(await crypto.subtle.digest('SHA-256', body)), body.length);
      return file;
    };
    const edit = (change: Record<string, unknown>) => crafted(JSON.stringify({ ...description, ...change }));
    const cases: [Promise<Uint8Array>, RegExp][] = [
      [crafted('null'), /x\.fc: the description is null, not an object/],
      [crafted('[1, 2]'), /the description is \[1,2\], not an object/],
      [edit({ count: 784_000_000_000 }), /the description's count is 784000000000, not a whole number from 1 to 2\^28/],
      [edit({ count: -3 }), /description's count is -3/],
      [edit({ count: 2.5 }), /description's count is 2.5/],
      [edit({ count: '10' }), /description's count is "10"/],
      [edit({ count: undefined }), /description's count is missing/],
      [edit({ shape: [28, -28] }), /description's shape\[1\] is -28/],
      [edit({ shape: 784 }), /description's shape is 784, not a list/],
      [edit({ shape: [] }), /description's shape is \[\], not a list of 1 to 8 sizes/],
      [edit({ count: 100_000_000, shape: [28, 28] }), /make more than 2\^28 = 268435456 elements/],
      [edit({ modelHash: 42 }), /description's modelHash is 42, not a string/],
      [edit({ codec: '' }), /description's codec is "", not a string/],
      [edit({ dataHash: null }), /description's dataHash is null/],
      [crafted('{"codec": "\u001b[2J'), /not valid UTF-8 JSON/],
    ];
    for (const [file, message] of cases) {
      const error = await readContainer(await file, 'x.fc').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CodecFileError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/the file is corrupt or was crafted$/);
    }
    // Control characters in a hostile value are shown escaped, never sent to the terminal as they are.
    const escaped = await readContainer(await edit({ codec: 5, modelHash: '\u001b[31m' }), 'x.fc').catch((e: Error) => e.message);
    expect(escaped).toMatch(/codec is 5/);
    const control = await readContainer(await edit({ count: '\u001b[2J' }), 'x.fc').catch((e: Error) => e.message);
    expect(control).toContain('\\u001b[2J');
    expect(control).not.toContain('\u001b');
    // The writer refuses what the reader would.
    await expect(writeContainer({ ...description, count: 0 }, message)).rejects.toThrow(/cannot write this codec file: its description's count is 0/);
    // Invalid UTF-8 in the description is refused, not read with replacement characters.
    const json = new TextEncoder().encode(JSON.stringify({ ...description, codec: 'x?' }));
    json[json.indexOf(0x3f)] = 0xff; // the '?': a byte that starts no UTF-8 character
    await expect(readContainer(await crafted(json), 'x.fc')).rejects.toThrow(/x\.fc: its description is not valid UTF-8 JSON/);
  });
});
