import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flows from '@flows/flows';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { formatIdxImages } from './images.js';
import { main } from './main.js';
import { describeWriteError, realPathOf, removeAbandonedPartials } from './output-paths.js';
import { type TinyFixtures, tinyFixtures } from './tiny-fixtures.js';

// writeFileAtomic made to fail on demand, to see what a full disk looks like to the user.
vi.mock('@flows/flows', async (original) => {
  const actual = await original<typeof import('@flows/flows')>();
  return { ...actual, writeFileAtomic: vi.fn(actual.writeFileAtomic) };
});

const printed = captureConsole();

const root = mkdtempSync(join(tmpdir(), 'flow-codec-out-'));
const BACKEND = ['--backend', 'cpu', '--quiet'];
/** A model folder that does not exist: a check that names --out with it ran before any model was loaded. */
const NO_MODEL = join(root, 'no-such-model');
let fixtures: TinyFixtures;
let idx: string;

beforeAll(async () => {
  fixtures = await tinyFixtures(root);
  idx = join(root, 'images.idx');
  writeFileSync(idx, formatIdxImages({ pixels: fixtures.pixels, count: 3, height: 4, width: 4, source: { kind: 'idx' } }));
}, 60_000);

const compress = (input: string, out: string, ...rest: string[]) =>
  main(['compress', '--model', fixtures.idf, '--input', input, '--out', out, ...rest, ...BACKEND]);

describe('compress --out (issue 29)', () => {
  it('refuses an existing --out unless --force, before the model is loaded, and says so in --help', async () => {
    const out = join(root, 'existing.fcod');
    writeFileSync(out, 'the user’s own file');
    expect(await main(['compress', '--model', NO_MODEL, '--input', idx, '--out', out, ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*existing\.fcod exists; pass --force to replace it, or choose another name/);
    expect(printed.stderr).not.toMatch(/no model\.json/);
    expect(readFileSync(out, 'utf8')).toBe('the user’s own file');
    expect(await compress(idx, out, '--force')).toBe(0);
    expect(readFileSync(out).subarray(0, 8).toString()).toBe('FLOWSCOD');
    expect(await main(['compress', '--help'])).toBe(0);
    expect(printed.stdout).toMatch(/--force\s+replace an existing --out \(never the --input itself/);
  });

  it('never writes over its --input, even with --force: the file itself, a link to it, or a file inside an --input folder of PNGs', async () => {
    const input = join(root, 'precious.idx');
    writeFileSync(input, readFileSync(idx));
    const symlink = join(root, 'link-to-precious.idx');
    symlinkSync(input, symlink);
    const hardLink = join(root, 'hard-link-to-precious.idx');
    linkSync(input, hardLink);
    for (const out of [input, symlink, hardLink, join(root, '.', 'precious.idx')]) {
      for (const force of [[], ['--force']]) {
        expect(await main(['compress', '--model', NO_MODEL, '--input', input, '--out', out, ...force, ...BACKEND])).toBe(2);
        expect(printed.stderr).toMatch(/is the --input file itself; compressing over the images would lose them/);
      }
    }
    expect(readFileSync(input)).toEqual(readFileSync(idx));
    const pngs = join(root, 'pngs-copy');
    mkdirSync(pngs);
    for (const name of fixtures.names) writeFileSync(join(pngs, name), readFileSync(join(fixtures.pngs, name)));
    for (const out of [join(pngs, 'digit-0.png'), join(pngs, 'all.fcod'), join(pngs, 'sub', 'all.fcod')]) {
      expect(await main(['compress', '--model', NO_MODEL, '--input', pngs, '--out', out, '--force', ...BACKEND])).toBe(2);
      expect(printed.stderr).toMatch(/is inside the --input folder .*pngs-copy; write the compressed file outside the folder of images/);
    }
    expect(readdirSync(pngs).sort()).toEqual(fixtures.names);
  });

  it('checks --out before anything slow and names the user’s path, not a temporary one', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(await main(['compress', '--model', NO_MODEL, '--input', idx, '--out', join(file, 'x.fcod'), ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*a-file\/x\.fcod cannot be written: .*a-file exists and is not a directory; choose another place/);
    expect(printed.stderr).not.toMatch(/no model\.json|\.tmp-/);
    mkdirSync(join(root, 'a-folder.fcod'));
    expect(await main(['compress', '--model', NO_MODEL, '--input', idx, '--out', join(root, 'a-folder.fcod'), '--force', ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*a-folder\.fcod is a folder; give the name of the file to write/);
  });

  it('names a full disk by the user’s --out, and leaves nothing behind', async () => {
    const out = join(root, 'full-disk.fcod');
    vi.mocked(flows.writeFileAtomic).mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(await compress(idx, out)).toBe(1);
    expect(printed.stderr).toMatch(
      /cannot write --out .*full-disk\.fcod: the disk is full: free some space, or write elsewhere \(ENOSPC\); nothing was written/,
    );
    expect(readdirSync(root).filter((name) => name.startsWith('full-disk'))).toEqual([]);
    expect(describeWriteError(Object.assign(new Error('x'), { code: 'EISDIR' }), '--out', 'o', 'a.png').message).toBe(
      'cannot write --out o (writing a.png): it is a folder: give the name of a file (EISDIR); nothing was written',
    );
  });

  it('refuses PNG names that decompress could not write back, before coding', async () => {
    for (const [names, problem] of [
      [['a.png', 'CON.png'], /"CON.png" starts with "CON", a device name that Windows reserves/],
      [['a\\b.png', 'c.png'], /"a\\\\b.png" holds a path separator/],
      [['Digit.png', 'digit.PNG'], /"Digit.png" and "digit.PNG" would be one file on a case-insensitive file system/],
    ] as const) {
      const folder = mkdtempSync(join(root, 'names-'));
      for (const name of names) writeFileSync(join(folder, name), readFileSync(join(fixtures.pngs, 'digit-0.png')));
      expect(await main(['compress', '--model', NO_MODEL, '--input', folder, '--out', join(root, 'names.fcod'), ...BACKEND])).toBe(1);
      expect(printed.stderr).toMatch(problem);
      expect(printed.stderr).toMatch(/rename/);
    }
  });
});

describe('compare --out', () => {
  it('is checked before the models are loaded, and named', async () => {
    const file = join(root, 'compare-file');
    writeFileSync(file, 'x');
    expect(await main(['compare', '--idf', NO_MODEL, '--input', idx, '--out', file, ...BACKEND])).toBe(2);
    expect(printed.stderr).toMatch(/--out .*compare-file cannot be written: .*exists and is not a directory/);
    expect(printed.stderr).not.toMatch(/EEXIST|no model\.json/);
  });
});

describe('output paths', () => {
  it('resolves the real path of a path whose end does not exist yet', async () => {
    const real = join(root, 'real');
    mkdirSync(real);
    symlinkSync(real, join(root, 'via-link'));
    expect(await realPathOf(join(root, 'via-link', 'not', 'yet.fcod'))).toBe(join(await realPathOf(real), 'not', 'yet.fcod'));
  });

  it('removes only the partial folders of dead processes for this target, holding only files', async () => {
    const folder = mkdtempSync(join(root, 'partials-'));
    const target = join(folder, 'out');
    const dead = 2 ** 22 + 12345; // above Linux's largest pid (2^22): no such process
    for (const name of [`out.partial-${dead}`, `out.partial-${process.pid}`, `out.partial-${process.ppid}`, `out.partial-x1`, `outer.partial-${dead}`])
      mkdirSync(join(folder, name));
    writeFileSync(join(folder, `out.partial-${dead}`, 'a.png'), 'x');
    writeFileSync(join(folder, `out.partial-${dead + 1}`), 'a file, not a folder');
    const notes: string[] = [];
    const removed = await removeAbandonedPartials(target, (note) => notes.push(note));
    expect(removed.sort()).toEqual([join(folder, `out.partial-${dead}`), join(folder, `out.partial-${process.pid}`)].sort());
    expect(readdirSync(folder).sort()).toEqual([`out.partial-${dead + 1}`, `out.partial-${process.ppid}`, 'out.partial-x1', `outer.partial-${dead}`].sort());
    expect(notes.length).toBe(2);
  });
});
