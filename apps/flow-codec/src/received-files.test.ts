import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readContainer } from '@flows/codec';
import sharp from 'sharp';
import { captureConsole } from '@flows/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressCommand } from './decompress.js';
import { main } from './main.js';
import { type TinyFixtures, tinyFixtures } from './tiny-fixtures.js';

const printed = captureConsole();

const root = mkdtempSync(join(tmpdir(), 'flow-codec-received-'));
const BACKEND = ['--backend', 'cpu', '--quiet'];
let fixtures: TinyFixtures;
/** What compress wrote, split into its description and message: the material an attacker edits. */
const bases: Record<'idf' | 'vae', { description: Record<string, unknown>; message: Uint8Array; model: string; pixels: Uint8Array }> = {} as never;

/**
 * A codec file with any description text and its digest recomputed, as anyone can: the SHA-256 at
 * the end covers magic, version, description and message (container.ts), nothing else is signed.
 */
function craft(json: string | Uint8Array, message: Uint8Array): Uint8Array {
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
  file.set(createHash('sha256').update(body).digest(), body.length);
  return file;
}

/** Every path under `folder`, relative, with the contents of files (to see any write). */
function listing(folder: string): string[] {
  const entries: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        entries.push(`${relative(folder, path)}/`);
        walk(path);
      } else entries.push(`${relative(folder, path)} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12)}`);
    }
  };
  walk(folder);
  return entries;
}

beforeAll(async () => {
  fixtures = await tinyFixtures(root);
  for (const kind of ['idf', 'vae'] as const) {
    const file = join(root, `${kind}.fcod`);
    expect(await main(['compress', '--model', fixtures[kind], '--input', fixtures.pngs, '--out', file, ...BACKEND])).toBe(0);
    const { description, message } = await readContainer(new Uint8Array(readFileSync(file)));
    const pixels = kind === 'vae' ? fixtures.pixels.map((v) => (v >= 128 ? 255 : 0)) : fixtures.pixels;
    bases[kind] = { description, message, model: fixtures[kind], pixels };
  }
}, 120_000);

let caseNumber = 0;
/** A fresh folder holding a `victim.png` that a traversing name would overwrite, and an empty `work/` for `--out work/out`. */
function freshCase(): { folder: string; out: string; victim: string } {
  const folder = join(root, 'cases', String(caseNumber++));
  mkdirSync(join(folder, 'work'), { recursive: true });
  writeFileSync(join(folder, 'victim.png'), 'the user’s own file');
  return { folder, out: join(folder, 'work', 'out'), victim: join(folder, 'victim.png') };
}

/** Decompresses a crafted description of base `kind` through the real command; the error, if any. */
async function decompressCrafted(kind: 'idf' | 'vae', json: string | Uint8Array, out: string): Promise<Error | null> {
  mkdirSync(join(root, 'crafted'), { recursive: true });
  const file = join(root, 'crafted', `${caseNumber}.fcod`);
  writeFileSync(file, craft(json, bases[kind].message));
  try {
    await decompressCommand([file, '--model', bases[kind].model, '--out', out, ...BACKEND]);
    return null;
  } catch (error) {
    return error as Error;
  }
}

const edited = (kind: 'idf' | 'vae', change: Record<string, unknown>) => JSON.stringify({ ...bases[kind].description, ...change });
const pngSource = (names: unknown) => ({ source: { kind: 'png', names } });

describe('decompress treats a received file as untrusted (issue 29)', () => {
  it('refuses image names that would leave --out (../, absolute, \\, drive letters, device names), before decoding, and writes nothing anywhere', async () => {
    const absolute = join(root, 'absolute-target.png');
    const names: [string, RegExp][] = [
      ['../victim.png', /source\.names\[1\] holds a path separator \("\/"\)/],
      ['../../victim.png', /path separator/],
      [absolute, /path separator/],
      ['..\\victim.png', /path separator \("\\\\"\)/],
      ['C:victim.png', /holds ":", which Windows does not allow/],
      ['CON.png', /device name that Windows reserves/],
      ['..', /not a file name/],
      ['x\u0000.png', /control character U\+0000/],
      [`${'x'.repeat(300)}.png`, /304 bytes long/],
    ];
    for (const [name, problem] of names) {
      const { folder, out, victim } = freshCase();
      const before = listing(folder);
      const error = await decompressCrafted('idf', edited('idf', pngSource(['digit-0.png', name, 'digit-2.png'])), out);
      expect(error?.name, name).toBe('CodecFileError');
      expect(error?.message).toMatch(problem);
      expect(error?.message).toMatch(/\d+\.fcod: the description's .*: the file is corrupt or was crafted$/);
      expect(readFileSync(victim, 'utf8')).toBe('the user’s own file');
      expect(existsSync(absolute)).toBe(false);
      expect(listing(folder)).toEqual(before);
    }
  });

  it('names crafted counts, shapes and fields instead of crashing on them (TypeError, RangeError, invalid array length)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ count: 784_000_000_000 }, /the description's count is 784000000000, not a whole number from 1 to 2\^28/],
      [{ source: undefined }, /the description's source is missing, not an object/],
      [{ source: { kind: 'png', names: [5, 6, 7] } }, /the description's source\.names\[0\] is 5, not a string/],
      [{ shape: ['4', 4] }, /the description's shape\[0\] is "4"/],
      [{ shape: [4, 4, 1] }, /the description's shape is \[4,4,1\], not the height and width/],
      [{ shape: [65_537, 1] }, /the description's shape\[0\] is 65537, more than 65536 pixels/],
      [{ codec: 'zip' }, /the description's codec is "zip", which this version does not know/],
      [{ source: { kind: 'png', names: ['a.png'] } }, /the description's source\.names is "1 names", not one for each of its 3 images/],
      [{ source: { kind: 'mnist', split: '../../x' } }, /the description's source\.split is "..\/..\/x", neither test nor train/],
      [{ binarized: 'yes' }, /the description's binarized is "yes", not false/],
      [{ modelHash: 42 }, /the description's modelHash is 42, not a string/],
      [{ dataHash: 'abc' }, /the description's dataHash is "abc", not a SHA-256 digest/],
      [{ shape: [5, 5] }, /the description's shape 5×5 is not the 16 pixels its model codes/],
      [{ exactPath: 'x' }, /the description's exactPath is "x", not a whole number from 1 to 2\^20/],
      [{ exactPath: 3 }, /was written by exact-path version 3, and this flow-codec decodes exact-path version 2: decode it with a newer flow-codec/],
    ];
    for (const [change, message] of cases) {
      const { out } = freshCase();
      const error = await decompressCrafted('idf', edited('idf', change), out);
      expect(error?.name, JSON.stringify(change)).toBe('CodecFileError');
      expect(error?.message).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    const vaeCases: [Record<string, unknown>, RegExp][] = [
      [{ latentBits: 40 }, /the description's latentBits is 40, not a whole number from 1 to 16/],
      [{ latentScale: '1' }, /the description's latentScale is "1", not a number above 0/],
      [{ initialWords: 1e12 }, /the description's initialWords is 1000000000000, not a whole number from 2 to 2\^20/],
      [{ initialWords: 31 }, /does not decode \(the message did not come back to its initial words/],
      [{ exactPath: undefined }, /was written by a flow-codec from before exact-path coding.*decode only with the flow-codec and the backend that wrote them/],
    ];
    for (const [change, message] of vaeCases) {
      const { out } = freshCase();
      const error = await decompressCrafted('vae', edited('vae', change), out);
      expect(error?.name, JSON.stringify(change)).toBe('CodecFileError');
      expect(error?.message).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('names what wrote a file that passes every check of its description but does not decode here (issue 32)', async () => {
    const otherHash = createHash('sha256').update('other images').digest('hex');
    const corrupt = Uint8Array.from(bases.idf.message, (b, k) => (k === 8 ? b ^ 0x41 : b));
    const legacy = (change: Record<string, unknown>) => JSON.stringify({ ...bases.idf.description, exactPath: undefined, ...change });
    const cases: [string | Uint8Array, Uint8Array, RegExp][] = [
      [
        edited('idf', { dataHash: otherHash }),
        bases.idf.message,
        /the decoded images do not match the checksum recorded when it was written: the file was written by exact-path version 2, which this flow-codec decodes: it is corrupt or was crafted/,
      ],
      [
        legacy({ dataHash: otherHash }),
        bases.idf.message,
        /the decoded images do not match the checksum recorded when it was written: the file was written by a flow-codec from before exact-path coding, whose coupling shifts and VAE probabilities came from the float32 kernels of the machine that encoded it, and this flow-codec decodes exact-path version 2: decode it with the flow-codec \(and the backend\) that wrote it/,
      ],
      [
        edited('idf', {}),
        corrupt,
        /(does not decode \(.*\)|do not match the checksum.*): the file was written by exact-path version 2, which this flow-codec decodes: it is corrupt/,
      ],
      [legacy({}), corrupt, /(does not decode \(.*\)|do not match the checksum.*): the file was written by a flow-codec from before exact-path coding/],
    ];
    for (const [json, message, expected] of cases) {
      const { out } = freshCase();
      const file = join(root, 'crafted', `${caseNumber}.fcod`);
      mkdirSync(join(root, 'crafted'), { recursive: true });
      writeFileSync(file, craft(json, message));
      const error = await decompressCommand([file, '--model', bases.idf.model, '--out', out, ...BACKEND]).then(
        () => null,
        (caught: Error) => caught,
      );
      expect(error?.name).toBe('CodecFileError');
      expect(error?.message).toMatch(expected);
      expect(existsSync(out)).toBe(false);
    }
    // A file from before the exact path that decodes (its shifts and tables agree) is written as before.
    const { out } = freshCase();
    expect(await decompressCrafted('idf', legacy({}), out)).toBeNull();
  });

  it('refuses two images of one name, exactly or in another case or normalisation, before decoding (one would overwrite the other)', async () => {
    for (const names of [
      ['digit-0.png', 'digit-1.png', 'digit-0.png'],
      ['digit-0.png', 'Digit-1.png', 'DIGIT-1.PNG'],
      ['\u00e9.png', 'e\u0301.png', 'x.png'],
    ]) {
      const { folder, out } = freshCase();
      const before = listing(folder);
      const error = await decompressCrafted('idf', edited('idf', pngSource(names)), out);
      expect(error?.name).toBe('CodecFileError');
      expect(error?.message).toMatch(
        /the description names images \d and \d .* which are one file on a case-insensitive file system: the file is corrupt or was crafted/,
      );
      expect(listing(folder)).toEqual(before);
      expect(existsSync(out)).toBe(false);
    }
    // The same names, made distinct, decode (the check is of the names, not of the images).
    const { out } = freshCase();
    expect(await decompressCrafted('idf', edited('idf', pngSource(['b.png', 'a.png', 'É.png'])), out)).toBeNull();
    expect(readdirSync(out).sort()).toEqual(['a.png', 'b.png', 'É.png']);
  });

  it('removes the <out>.partial-<pid> folder a killed decompress left, and nothing else', async () => {
    const { folder, out } = freshCase();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number; // a process that has ended
    const left = join(folder, 'work', `out.partial-${dead}`);
    mkdirSync(left);
    writeFileSync(join(left, 'digit-0.png'), 'half written');
    // Another live decompress's folder, another target's, and a folder that holds more than files stay.
    const live = join(folder, 'work', `out.partial-${process.ppid}`);
    const other = join(folder, 'work', `other.partial-${dead}`);
    const notOurs = join(folder, 'work', `out.partial-${dead + 1}`);
    for (const path of [live, other, join(notOurs, 'inside')]) mkdirSync(path, { recursive: true });
    expect(await main(['decompress', join(root, 'idf.fcod'), '--model', fixtures.idf, '--out', out, ...BACKEND])).toBe(0);
    expect(existsSync(left)).toBe(false);
    expect(printed.stderr).toMatch(new RegExp(`removed .*out\\.partial-${dead}, left by a decompress \\(process ${dead}\\) that did not finish`));
    for (const path of [live, other, notOurs]) expect(existsSync(path)).toBe(true);
    expect(readdirSync(out).sort()).toEqual(fixtures.names);
  });

  it('checks --out before loading the model or decoding, and names it', async () => {
    const { folder } = freshCase();
    writeFileSync(join(folder, 'a-file'), 'x');
    const file = join(root, 'idf.fcod');
    // A model that does not exist: the --out problem must be found first.
    const missingModel = join(root, 'no-such-model');
    expect(await main(['decompress', file, '--model', missingModel, '--out', join(folder, 'a-file', 'out'), ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*a-file\/out cannot be written: .*a-file exists and is not a directory/);
    expect(printed.stderr).not.toMatch(/partial|no model\.json/);
    expect(await main(['decompress', file, '--model', missingModel, '--out', join(folder, 'a-file'), ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*a-file exists; decompress writes a new folder/);
  });
});

/** A small seeded generator (mulberry32): the same cases on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decompress under a fuzz of the description (digest recomputed, so every container check passes)', () => {
  it('gives a named error or a correct decode inside --out for 400 random edits, never a write outside it or a crash', async () => {
    const random = seeded(29);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const absolute = join(root, 'fuzz-absolute.png');
    const hostileNames: unknown[] = [
      '../victim.png',
      '../../victim.png',
      '../../../fuzz-absolute.png',
      absolute,
      '/etc/passwd.png',
      'sub/x.png',
      '..\\victim.png',
      'C:victim.png',
      'c:\\x.png',
      '.',
      '..',
      '',
      'x\u0000.png',
      'x\n.png',
      '\u001b[2J.png',
      '\u202Egnp.exe.png',
      ' x.png',
      'x.png ',
      'x.png.',
      'x.txt',
      'CON.png',
      'nul.png',
      'Com1.png',
      'LPT9.x.png',
      `${'x'.repeat(300)}.png`,
      `${'é'.repeat(200)}.png`,
      'DIGIT-0.PNG',
      'digit-1.png',
      'e\u0301.png',
      '\u00e9.png',
      'renamed.png',
      'Ünïcödé name.png',
      5,
      null,
      {},
      [],
      true,
    ];
    const numbers: unknown[] = [0, -1, 1.5, 1e308, 784_000_000_000, 2 ** 53, 2 ** 28, '3', null, true, [], {}, 1, 2, 3, 4, 1e21, -0];
    const shapes: unknown[] = [
      [4, 4],
      [2, 8],
      [8, 2],
      [16, 1],
      [0, 4],
      [-4, 4],
      [4.5, 4],
      [4],
      [4, 4, 1],
      [1e6, 1e6],
      [65_536, 65_536],
      [2 ** 28, 1],
      '4x4',
      null,
      [[4], [4]],
      [4, '4'],
      [],
      [4, null],
    ];
    const sources: unknown[] = [
      { kind: 'idx' },
      { kind: 'mnist', split: 'test' },
      { kind: 'mnist', split: 'train' },
      { kind: 'mnist', split: '../x' },
      { kind: 'mnist' },
      { kind: 'evil' },
      null,
      'png',
      { kind: 'png' },
      { kind: 'png', names: 'a.png' },
      { kind: 'png', names: ['a.png', 'b.png'] },
      { kind: 'png', names: Array.from({ length: 5000 }, (_, k) => `${k}.png`) },
    ];
    const fields = ['codec', 'modelHash', 'dataHash', 'count', 'shape', 'source', 'binarized', 'latentBits', 'latentScale', 'initialWords', 'exactPath'];
    const otherHash = createHash('sha256').update('another').digest('hex');
    const edits: ((d: Record<string, unknown>) => void)[] = [
      (d) => {
        const current = (d.source as { names?: unknown } | null | undefined)?.names;
        const names: unknown[] = Array.isArray(current) ? [...current] : [...fixtures.names];
        names[Math.floor(random() * names.length)] = pick(hostileNames);
        d.source = { kind: 'png', names };
      },
      (d) => {
        d.source = { kind: 'png', names: [pick(hostileNames), pick(hostileNames), pick(hostileNames)] };
      },
      (d) => {
        d.count = pick(numbers);
      },
      (d) => {
        d.shape = pick(shapes);
      },
      (d) => {
        d.source = pick(sources);
      },
      (d) => {
        d.codec = pick(['rans-idf', 'bb-ans-vae', 'unknown', '', 5, null, 'x'.repeat(1000), '\u001b[2J']);
      },
      (d) => {
        d[pick(['modelHash', 'dataHash'])] = pick([otherHash, 'abc', 5, null, '', 'G'.repeat(64), String(d.modelHash).toUpperCase()]);
      },
      (d) => {
        d.binarized = pick([true, false, 'yes', null, 1]);
      },
      (d) => {
        d.latentBits = pick([0, 1, 11, 12, 13, 17, 1.5, -1, '12', 1e9, null, undefined]);
      },
      (d) => {
        d.latentScale = pick([0, -1, 1e300, '1', 1e-300, 0.5, 1, 2, null, undefined]);
      },
      (d) => {
        d.initialWords = pick([0, 1, 2, 31, 32, 33, 1e12, 2.5, '32', undefined]);
      },
      (d) => {
        d.exactPath = pick([0, 1, 2, 1.5, '1', null, undefined, 2 ** 21]);
      },
      (d) => {
        delete d[pick(fields)];
      },
      (d) => {
        d[pick(['extra', '__proto__', 'constructor', 'toString'])] = pick(numbers);
      },
    ];
    // Edits of the text itself, after the object edits: a repeated key (JSON.parse keeps the last), other JSON, a changed byte.
    const textEdits: ((text: string) => string | Uint8Array)[] = [
      (text) => text,
      (text) => text,
      (text) => text,
      (text) => `${text.slice(0, -1)},"count":${pick(['1e21', '-1', '3', '0.5', '"3"'])}}`,
      (text) => `${text.slice(0, -1)},"source":{"kind":"png","names":["../dup.png","a.png","b.png"]}}`,
      () => pick(['null', '[]', '"x"', '42', '{}', '{"codec":"rans-idf"}', 'NaN', '{"count": Infinity}']),
      (text) => text.slice(0, Math.floor(random() * text.length)),
      (text) => `\uFEFF${text}`,
      (text) => {
        const bytes = new TextEncoder().encode(text);
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        return bytes;
      },
    ];
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < 400; trial++) {
      const kind = random() < 0.7 ? 'idf' : 'vae';
      const description = structuredClone(bases[kind].description);
      for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) pick(edits)(description);
      const json = pick(textEdits)(JSON.stringify(description));
      const { folder, out, victim } = freshCase();
      const before = listing(folder);
      const error = await decompressCrafted(kind, json, out);
      const label = `trial ${trial} (${kind}): ${typeof json === 'string' ? json.slice(0, 300) : 'bytes'} → ${error?.stack ?? 'decoded'}`;
      // Nothing outside --out: the user's file next to it, and the folder's listing, are as they were.
      expect(readFileSync(victim, 'utf8'), label).toBe('the user’s own file');
      expect(existsSync(absolute), label).toBe(false);
      const after = listing(folder);
      expect(
        after.filter((entry) => !entry.startsWith('work/out/')),
        label,
      ).toEqual(before);
      if (error) {
        expect(['CodecFileError', 'UsageError'], label).toContain(error.name);
        expect(error.message, label).not.toMatch(/Cannot read properties|Invalid typed array|Invalid array length|must be of type|is not a function|undefined/);
        expect(after, label).toEqual(before);
        outcomes.refused = (outcomes.refused ?? 0) + 1;
        continue;
      }
      // A decode: only what the description names, each image exactly as coded.
      const { shape, source } = JSON.parse(new TextDecoder().decode(typeof json === 'string' ? new TextEncoder().encode(json) : json).replace(/^\uFEFF/, ''));
      const [height, width] = shape as [number, number];
      const expected = bases[kind].pixels;
      if (source.kind === 'png') {
        expect(readdirSync(out).sort(), label).toEqual([...source.names].sort());
        const decoded = new Uint8Array(expected.length);
        for (const [k, name] of (source.names as string[]).entries()) {
          const image = sharp(join(out, name));
          const { width: w, height: h } = await image.metadata();
          expect([h, w], label).toEqual([height, width]);
          decoded.set(new Uint8Array(await image.extractChannel(0).raw().toBuffer()), k * height * width);
        }
        expect(decoded, label).toEqual(expected);
      } else {
        const name = source.kind === 'mnist' ? `mnist-${source.split}-images-idx3-ubyte` : 'images-idx3-ubyte';
        expect(readdirSync(out), label).toEqual([name]);
        expect(new Uint8Array(readFileSync(join(out, name))).subarray(16), label).toEqual(expected);
      }
      outcomes.decoded = (outcomes.decoded ?? 0) + 1;
    }
    // Some edits are harmless (a new safe name, another source kind, an unknown field) and decode; most are refused.
    expect(outcomes.decoded).toBeGreaterThan(5);
    expect(outcomes.refused).toBeGreaterThan(200);
    // Nowhere else either: the fuzz's root holds only what the tests made.
    expect(readdirSync(root).sort()).toEqual(['cases', 'crafted', 'idf.fcod', 'tiny-idf', 'tiny-pngs', 'tiny-vae', 'vae.fcod']);
  }, 120_000);
});
