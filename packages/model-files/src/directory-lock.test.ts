import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireDirectoryLock, DirectoryLockedError, type LockOwner, removeOrphanedTemporaries } from './directory-lock.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const temp = () => mkdtempSync(join(tmpdir(), 'flows-lock-'));
const DEAD = 2 ** 22 + 12345; // above every pid_max: no such process

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}
const hasProc = existsSync('/proc/self/stat') && existsSync('/proc/sys/kernel/random/boot_id');
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

describe('a lock whose process id now belongs to another process (pid reuse)', () => {
  it.runIf(hasProc)('is taken over when the start time or the boot id differs, and still blocks when both match', async () => {
    const owner = (pid: number, startTime: string, boot: string) => ({
      pid,
      host: hostname(),
      started: '2026-01-01T00:00:00Z',
      purpose: 'old run',
      startTime,
      bootId: boot,
    });
    // The pid of a live process (this one) recorded with another start time: a reused pid.
    const reused = temp();
    writeFileSync(join(reused, 'run.lock'), JSON.stringify(owner(process.pid, '1', bootId())));
    const seen: LockOwner[] = [];
    const first = await acquireDirectoryLock(reused, 'run.lock', { purpose: 'test', onStale: (o) => seen.push(o) });
    expect(seen.map((o) => o.pid)).toEqual([process.pid]);
    expect((JSON.parse(readFileSync(join(reused, 'run.lock'), 'utf8')) as LockOwner).purpose).toBe('test');
    await first.release();
    expect(existsSync(join(reused, 'run.lock'))).toBe(false);

    // The right start time, but written before the last reboot.
    const rebooted = temp();
    writeFileSync(join(rebooted, 'run.lock'), JSON.stringify(owner(process.ppid, startTimeOf(process.ppid), '00000000-0000-0000-0000-000000000000')));
    const second = await acquireDirectoryLock(rebooted, 'run.lock', { purpose: 'test' });
    await second.release();

    // The live process itself (the test runner that started this worker): the folder stays locked,
    // and the message says how to clear the lock by hand.
    const live = temp();
    const lockFile = join(live, 'run.lock');
    writeFileSync(lockFile, JSON.stringify(owner(process.ppid, startTimeOf(process.ppid), bootId())));
    const refused = acquireDirectoryLock(live, 'run.lock', { purpose: 'test' });
    await expect(refused).rejects.toThrow(DirectoryLockedError);
    await expect(acquireDirectoryLock(live, 'run.lock', { purpose: 'test' })).rejects.toThrow(
      new RegExp(
        `is in use by process ${process.ppid} on .*old run.*${lockFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*remove it if no run is using this folder`,
      ),
    );
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.ppid);
  });

  it('records what identifies the process instance', async () => {
    const dir = temp();
    const lock = await acquireDirectoryLock(dir, 'run.lock', { purpose: 'test' });
    const written = JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')) as LockOwner;
    expect(written).toMatchObject({ pid: process.pid, host: hostname(), purpose: 'test' });
    if (hasProc) expect(written).toMatchObject({ startTime: startTimeOf(process.pid), bootId: bootId() });
    await lock.release();
  });
});

/** Starts a Node script (ESM, from the package's directory so that its imports resolve). */
function startScript(code: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const done = new Promise<{ code: number; output: string }>((resolve) => child.on('close', (exit) => resolve({ code: exit ?? 1, output })));
  return { child, done, output: () => output };
}

describe('taking over a stale lock', () => {
  it('16 processes at once find the same dead owner: exactly one takes the lock, in every one of 20 rounds', async () => {
    const root = temp();
    const rounds = 20;
    const takers = 16;
    for (let r = 0; r < rounds; r++) {
      mkdirSync(join(root, `round-${r}`));
      writeFileSync(
        join(root, `round-${r}`, 'run.lock'),
        JSON.stringify({ pid: DEAD, host: hostname(), started: '2026-01-01T00:00:00Z', purpose: 'killed run' }),
      );
    }
    // Each process loads the library, says it is ready, and is given one start time for all; each
    // round then starts at the same moment in every process. A winner holds its locks until every
    // process is done (its exit would release them, and a late taker would rightly take one).
    const taker = (index: number) => `
      import { acquireDirectoryLock, DirectoryLockedError } from './dist/index.js';
      let input = '';
      process.stdin.on('data', (data) => (input += data));
      const ended = new Promise((resolve) => process.stdin.on('end', resolve));
      console.log('ready');
      while (!input.includes('\\n')) await new Promise((resolve) => setTimeout(resolve, 1));
      const start = Number(input.split('\\n')[0]);
      for (let r = 0; r < ${rounds}; r++) {
        const at = start + r * 150;
        while (Date.now() < at - 2) await new Promise((resolve) => setTimeout(resolve, 1));
        while (Date.now() < at);
        try {
          await acquireDirectoryLock(${JSON.stringify(root)} + '/round-' + r, 'run.lock', { purpose: 'taker ${index}' });
          console.log('won ' + r + ' by ${index}');
        } catch (error) {
          console.log(error instanceof DirectoryLockedError ? 'lost ' + r : 'error ' + r + ' ' + error.message);
        }
      }
      console.log('done');
      await ended;`;
    const processes = Array.from({ length: takers }, (_, i) => startScript(taker(i)));
    const waitFor = async (word: string, seconds: number) => {
      for (let i = 0; i < seconds * 20 && !processes.every((p) => p.output().includes(word)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(processes.map((p) => p.output().includes(word))).toEqual(processes.map(() => true));
    };
    await waitFor('ready', 60);
    const start = Date.now() + 500;
    for (const p of processes) p.child.stdin.write(`${start}\n`);
    await waitFor('done', 60);
    const lines = processes.flatMap((p) => p.output().split('\n'));
    expect(lines.filter((line) => line.startsWith('error'))).toEqual([]);
    for (let r = 0; r < rounds; r++) {
      const winners = lines.filter((line) => line.startsWith(`won ${r} by `));
      expect({ round: r, winners: winners.length }).toEqual({ round: r, winners: 1 });
      expect(lines.filter((line) => line === `lost ${r}`).length).toBe(takers - 1);
      // The lock names the winner, and nothing else of the takeover is left beside it.
      const lock = JSON.parse(readFileSync(join(root, `round-${r}`, 'run.lock'), 'utf8')) as LockOwner;
      expect(`won ${r} by ${lock.purpose.replace('taker ', '')}`).toBe(winners[0]);
      expect(readdirSync(join(root, `round-${r}`))).toEqual(['run.lock']);
    }
    for (const p of processes) p.child.stdin.end();
    const results = await Promise.all(processes.map((p) => p.done));
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0));
    // Each winner's lock went when it exited.
    for (let r = 0; r < rounds; r++) expect(readdirSync(join(root, `round-${r}`))).toEqual([]);
  }, 120_000);
});

describe('a takeover whose taker was killed midway', () => {
  it('is finished by the next taker, and what the killed one left is removed', async () => {
    const dir = temp();
    const key = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
    const stale = JSON.stringify({ pid: DEAD, host: hostname(), started: '2026-01-01T00:00:00Z', purpose: 'killed run', id: 'a' });
    // The killed taker had made its marker (the right to replace the stale lock), not yet used it.
    const killedTaker = JSON.stringify({ pid: DEAD + 1, host: hostname(), started: '2026-01-01T00:00:01Z', purpose: 'killed taker', id: 'b' });
    writeFileSync(join(dir, 'run.lock'), stale);
    writeFileSync(join(dir, `run.lock.takeover-${key(stale)}`), killedTaker);
    writeFileSync(join(dir, `run.lock.takeover-${key(stale)}.tmp-${DEAD + 1}-17`), killedTaker);
    const seen: string[] = [];
    const lock = await acquireDirectoryLock(dir, 'run.lock', { purpose: 'next', onStale: (owner, reason) => seen.push(`${owner.purpose} ${reason}`) });
    expect(seen).toEqual(['killed run is no longer running']);
    expect(readdirSync(dir)).toEqual(['run.lock']);
    expect((JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')) as LockOwner).purpose).toBe('next');
    await lock.release();
  });
});

describe('orphaned temporary files', () => {
  it("removes only this library's own temporary files of dead processes; a user's look-alikes stay", async () => {
    const dir = temp();
    mkdirSync(join(dir, 'model'));
    const mine = [`metrics.json.tmp-${DEAD}-1`, `model.json.tmp-${DEAD}-1700000000000`, `checkpoint.json.tmp-${DEAD}-3`];
    const mineInModel = [`weights-0123abcd.bin.tmp-${DEAD}-2`, `optimizer-0123abcd.bin.tmp-${DEAD}-2`];
    const theirs = [
      `notes.txt.tmp-${DEAD}-2`,
      `firmware.bin.tmp-${DEAD}-2`,
      `photo.png.tmp-${DEAD}-2`,
      `model.json.tmp-${process.pid}-5`, // a live process's write in progress
      'model.json.tmp-x-1',
    ];
    for (const name of [...mine, ...theirs]) writeFileSync(join(dir, name), 'x');
    for (const name of [...mineInModel, ...theirs]) writeFileSync(join(dir, 'model', name), 'x');
    expect(await removeOrphanedTemporaries(dir)).toBe(mine.length + mineInModel.length);
    expect(readdirSync(dir).sort()).toEqual([...theirs, 'model'].sort());
    expect(readdirSync(join(dir, 'model')).sort()).toEqual([...theirs].sort());
  });
});
