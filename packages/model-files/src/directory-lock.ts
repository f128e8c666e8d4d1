/**
 * Guards for directories that runs write into (Node only): a lock file that names its owner, a
 * preflight that proves an output directory can be written before any work starts, and the
 * clean-up of temporary files that killed processes left behind.
 */
import { importNodeBuiltin } from '@flows/core';
import { sha256Hex } from './sha256.js';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');
type Os = typeof import('node:os');

async function node(): Promise<{ fs: Fs; path: Path; os: Os }> {
  const [fs, path, os] = await Promise.all([
    importNodeBuiltin<Fs>('fs/promises', 'directory locks'),
    importNodeBuiltin<Path>('path', 'directory locks'),
    importNodeBuiltin<Os>('os', 'directory locks'),
  ]);
  return { fs, path, os };
}

/**
 * Who holds a lock: written into the lock file as JSON. `startTime` and `bootId` tell the process
 * instance from a later process that was given the same pid (after a kill or a reboot).
 */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  purpose: string;
  /** The process's start, in clock ticks after boot (field 22 of /proc/<pid>/stat), where there is a /proc. */
  startTime?: string;
  /** The boot's id (/proc/sys/kernel/random/boot_id) when the lock was taken, where there is one. */
  bootId?: string;
  /** Random: tells this lock from every other one, also from an earlier lock of the same process. */
  id?: string;
}

/** Thrown when another live process holds the lock of a directory. */
export class DirectoryLockedError extends Error {
  constructor(
    readonly directory: string,
    readonly owner: LockOwner | null,
    detail: string,
  ) {
    super(detail);
    this.name = 'DirectoryLockedError';
  }
}

/** Thrown when an output directory cannot be created or written. */
export class OutputDirectoryError extends Error {
  constructor(
    readonly directory: string,
    problem: string,
  ) {
    super(`${directory}: ${problem}`);
    this.name = 'OutputDirectoryError';
  }
}

/** Whether process `pid` exists on this machine (signal 0 probes without signalling). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When process `pid` started, in clock ticks after boot (Linux); undefined where that cannot be read. */
async function processStartTime(fs: Fs, pid: number): Promise<string | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, may hold spaces and parentheses: count from the last ')'.
    const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
    return /^\d+$/.test(field ?? '') ? field : undefined;
  } catch {
    return undefined;
  }
}

let bootIdRead: Promise<string | undefined> | undefined;
function bootId(fs: Fs): Promise<string | undefined> {
  bootIdRead ??= fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
  return bootIdRead;
}

/** This process as a lock records it. */
async function thisProcess(fs: Fs, os: Os, purpose: string): Promise<LockOwner> {
  const [startTime, boot] = await Promise.all([processStartTime(fs, process.pid), bootId(fs)]);
  const id = Array.from(globalThis.crypto.getRandomValues(new Uint32Array(2)), (word) => word.toString(16).padStart(8, '0')).join('');
  return {
    pid: process.pid,
    host: os.hostname(),
    started: new Date().toISOString(),
    purpose,
    ...(startTime ? { startTime } : {}),
    ...(boot ? { bootId: boot } : {}),
    id,
  };
}

/** A lock file's owner, or null for a file that is not one (being written by hand, or damaged). */
function parseOwner(text: string): LockOwner | null {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (typeof json !== 'object' || json === null || !Number.isInteger(json.pid) || (json.pid as number) <= 0 || typeof json.host !== 'string') return null;
    const stringOf = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return {
      pid: json.pid as number,
      host: json.host,
      started: stringOf(json.started) ?? 'an unknown time',
      purpose: stringOf(json.purpose) ?? 'unknown purpose',
      ...(stringOf(json.startTime) ? { startTime: stringOf(json.startTime) } : {}),
      ...(stringOf(json.bootId) ? { bootId: stringOf(json.bootId) } : {}),
      ...(stringOf(json.id) ? { id: stringOf(json.id) } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * Why the owner of a lock is gone, or null when it may be running (or runs on another host,
 * which cannot be checked from here). A live pid is not enough: after a kill or a reboot the pid
 * may belong to another program, which the recorded start time and boot id tell apart.
 */
async function ownerGone(fs: Fs, owner: LockOwner, here: LockOwner): Promise<string | null> {
  if (owner.host !== here.host) return null;
  if (owner.bootId && here.bootId && owner.bootId !== here.bootId) return 'is no longer running (the machine has restarted since)';
  if (!processIsAlive(owner.pid)) return 'is no longer running';
  if (owner.startTime) {
    const now = await processStartTime(fs, owner.pid);
    if (now !== undefined && now !== owner.startTime) return `is no longer running (its process id ${owner.pid} now belongs to another program)`;
  }
  return null;
}

type Read = { text: string } | { missing: true } | { unreadable: string };
async function readText(fs: Fs, file: string): Promise<Read> {
  try {
    return { text: await fs.readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true } : { unreadable: code ?? (error as Error).message };
  }
}

let unique = 0;
/** `<file>.tmp-<pid>-<digits>`: the pattern of this library's temporary files, unique within the process. */
export function temporaryName(file: string): string {
  unique = (unique + 1) % 1000;
  return `${file}.tmp-${process.pid}-${Date.now()}${String(unique).padStart(3, '0')}`;
}

/**
 * Creates `file` holding `content` unless it exists (false then). The content is written to a
 * temporary file first and hard-linked into place, so nobody ever reads a half-written lock; where
 * the file system has no hard links, an exclusive create does the same with a moment's gap.
 */
async function createExclusive(fs: Fs, file: string, content: string): Promise<boolean> {
  const temporary = temporaryName(file);
  await fs.writeFile(temporary, content, { flag: 'wx' });
  try {
    await fs.link(temporary, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    try {
      await fs.writeFile(file, content, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

/** A short name for a lock's content, for the takeover markers. */
const contentKey = (text: string) => sha256Hex(new TextEncoder().encode(text)).slice(0, 16);

/**
 * Replaces the stale lock `file`, whose content is `stale`, with `mine`, so that of all the
 * processes that found the same stale lock exactly one does it.
 *
 * The right to replace a stale lock is the marker `<file>.takeover-<key of stale>`, created
 * exclusively: whoever creates it checks that the lock still holds `stale` and renames the marker
 * (holding its own identity) over the lock, one atomic step. Nobody else replaces a lock whose
 * marker exists, and a stale lock's content never comes back (each lock has a random id), so a
 * late taker that creates the marker after the takeover finds another content and gives up. A
 * marker whose own maker died (between its two steps) is taken over the same way, one level down:
 * `<file>.takeover-<key of stale>-<key of that marker>`.
 */
async function takeOver(fs: Fs, file: string, stale: string, mine: string, here: LockOwner): Promise<'taken' | 'lost' | { busy: string }> {
  const keys = [contentKey(stale)];
  for (let depth = 0; depth < 16; depth++) {
    const marker = `${file}.takeover-${keys.join('-')}`;
    if (await createExclusive(fs, marker, mine)) {
      const now = await readText(fs, file);
      if (!('text' in now) || now.text !== stale) {
        await fs.rm(marker, { force: true });
        return 'lost';
      }
      try {
        await fs.rename(marker, file);
      } catch {
        return 'lost';
      }
      return 'taken';
    }
    const holder = await readText(fs, marker);
    // Gone: its maker made it the lock, or gave up. Look at the lock again.
    if ('missing' in holder) return 'lost';
    const owner = 'text' in holder ? parseOwner(holder.text) : null;
    if (!owner || !('text' in holder) || !(await ownerGone(fs, owner, here))) return { busy: marker };
    keys.push(contentKey(holder.text));
  }
  return { busy: `${file}.takeover-${keys.join('-')}` };
}

/**
 * Removes what takeovers and killed takers left beside the lock `name`: markers of locks that are
 * gone (every marker but those for `mine`, the lock now held) and temporary files of dead processes.
 */
async function sweepLockLeftovers(fs: Fs, path: Path, directory: string, name: string, mine: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(directory);
  } catch {
    return;
  }
  const own = `${name}.takeover-${contentKey(mine)}`;
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`)) continue;
    const rest = entry.slice(name.length);
    const temporary = /^(?:\.takeover-[0-9a-f-]+)?\.tmp-(\d+)-\d+$/.exec(rest);
    const stale = /^\.takeover-[0-9a-f-]+$/.test(rest) && !entry.startsWith(own);
    if (stale || (temporary && !processIsAlive(Number(temporary[1])))) await fs.rm(path.join(directory, entry), { force: true });
  }
}

export interface LockOptions {
  /** What the holder is doing, for the message another process sees (e.g. 'toy-flow train'). */
  purpose: string;
  /** How long to wait for a live holder to finish, in ms (default 0: fail at once). */
  waitMs?: number;
  /** Told when a stale lock (its process is gone) is taken over, with why it is stale. */
  onStale?: (owner: LockOwner, reason: string) => void;
}

/** A held lock: `release()` removes the lock file (once; safe to call twice). */
export interface DirectoryLock {
  readonly file: string;
  release(): Promise<void>;
}

/** How long a takeover that another live process has begun may take before this one gives up. */
const TAKEOVER_GRACE_MS = 5000;

/**
 * Takes the lock file `name` in `directory` (created if needed) with an exclusive create. The
 * lock records the process (pid, host, start time and boot id where the system tells them, and a
 * random id). A lock whose process has gone on this host, also one whose pid now belongs to
 * another program, is stale: exactly one of the processes that find it takes it over (see
 * {@link takeOver}), and that one is told through `onStale`. A live holder, or one on another
 * host (which cannot be checked from here), makes this wait up to `waitMs`, then throw a
 * {@link DirectoryLockedError} naming the holder and the lock file to remove by hand if no run is
 * using the folder.
 */
export async function acquireDirectoryLock(directory: string, name: string, options: LockOptions): Promise<DirectoryLock> {
  const { fs, path, os } = await node();
  const fsSync = await importNodeBuiltin<typeof import('node:fs')>('fs', 'directory locks');
  hookExit();
  const file = path.join(directory, name);
  const me = await thisProcess(fs, os, options.purpose);
  const mine = JSON.stringify(me);
  const deadline = Date.now() + (options.waitMs ?? 0);
  const byHand = `The lock is the file ${file}: remove it if no run is using this folder.`;
  for (let attempt = 0; ; attempt++) {
    let held: boolean;
    try {
      held = await createExclusive(fs, file, mine);
    } catch (error) {
      throw new OutputDirectoryError(directory, `cannot create the lock file ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let owner: LockOwner | null = null;
    let problem = '';
    if (!held) {
      const read = await readText(fs, file);
      if ('missing' in read) continue; // released just now: try again
      if ('unreadable' in read) problem = `its lock file cannot be read (${read.unreadable})`;
      else {
        owner = parseOwner(read.text);
        const gone = owner && (await ownerGone(fs, owner, me));
        if (!owner) problem = 'its lock file does not name a process (being written, or damaged)';
        else if (gone) {
          const outcome = await takeOver(fs, file, read.text, mine, me);
          if (outcome === 'lost') continue;
          if (outcome !== 'taken') {
            if (Date.now() >= deadline + TAKEOVER_GRACE_MS) {
              throw new DirectoryLockedError(
                directory,
                owner,
                `${directory}: the lock of process ${owner.pid} (${owner.purpose}), which ${gone}, is being taken over by another process that does not finish (${outcome.busy}). If no run is using this folder, remove ${file} and ${outcome.busy}.`,
              );
            }
            await sleep(Math.min(50, 2 * (attempt + 1)));
            continue;
          }
          held = true;
          options.onStale?.(owner, gone);
        }
      }
    }
    if (held) {
      // Read back: the lock is ours only if it holds our identity now (anything else would be a
      // fault of the file system; then look again).
      const check = await readText(fs, file);
      if ('text' in check && check.text === mine) {
        await sweepLockLeftovers(fs, path, directory, name, mine);
        return heldLock(fs, fsSync, file, me);
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner
        ? `process ${owner.pid} on ${owner.host} (${owner.purpose}, since ${owner.started})${owner.host !== me.host ? ', another machine, which cannot be checked from here' : ''}`
        : `another process (${problem})`;
      throw new DirectoryLockedError(directory, owner, `${directory} is in use by ${who}; wait for it to finish, or choose another directory. ${byHand}`);
    }
    await sleep(Math.min(200, 5 * (attempt + 1)));
  }
}

/** The handle of a lock this process holds; releasing removes the file only while it is still ours. */
function heldLock(fs: Fs, fsSync: typeof import('node:fs'), file: string, me: LockOwner): DirectoryLock {
  let released = false;
  const ours = (text: string) => parseOwner(text)?.id === me.id;
  const releaseSync = () => {
    if (released) return;
    released = true;
    try {
      if (ours(fsSync.readFileSync(file, 'utf8'))) fsSync.unlinkSync(file);
    } catch {
      // already gone
    }
  };
  exitHandlers.add(releaseSync);
  return {
    file,
    async release() {
      exitHandlers.delete(releaseSync);
      if (released) return;
      released = true;
      try {
        if (ours(await fs.readFile(file, 'utf8'))) await fs.rm(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}

// Lock files are removed when the process exits normally. No signal handlers are installed (a
// library must not change what SIGINT does in its user's program): after Ctrl-C or kill -9 the
// next run or save finds the lock's process gone, says so, and takes the lock over.
const exitHandlers = new Set<() => void>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const handler of exitHandlers) handler();
  });
}

/**
 * Creates `directory` (one level at a time, so a path under /proc fails at once instead of
 * hanging) and proves it writable by writing, renaming and removing a probe file. Call it before
 * any long work, so that an unwritable output is found in a second, not after training.
 */
export async function prepareOutputDirectory(directory: string): Promise<void> {
  const { fs, path } = await node();
  const absolute = path.resolve(directory);
  const missing: string[] = [];
  let existing = absolute;
  for (;;) {
    try {
      const stat = await fs.stat(existing);
      if (!stat.isDirectory()) throw new OutputDirectoryError(directory, `${existing} exists and is not a directory`);
      break;
    } catch (error) {
      if (error instanceof OutputDirectoryError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a part of the path is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputDirectoryError(directory, `cannot look at ${existing} (${code})`);
      missing.unshift(existing);
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  for (const level of missing) {
    try {
      await fs.mkdir(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new OutputDirectoryError(directory, `cannot create ${level} (${code}${code === 'EACCES' || code === 'EROFS' ? ': not writable' : ''})`);
    }
  }
  const probe = path.join(absolute, `.write-probe-${process.pid}-${Date.now()}`);
  try {
    await fs.writeFile(probe, 'probe');
    await fs.rename(probe, `${probe}.renamed`);
    await fs.rm(`${probe}.renamed`, { force: true });
  } catch (error) {
    await fs.rm(probe, { force: true }).catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    throw new OutputDirectoryError(directory, `is not writable (${code ?? (error as Error).message})`);
  }
}

/**
 * Takes the run lock of an output directory for a whole run: a second run into the same
 * directory is refused with the first one's pid, host and command; a lock left by a killed run
 * is reported and taken over. Also removes the temporary files that killed runs left there: only
 * those of the files this library writes into a run folder ({@link RUN_FOLDER_FILES}) and of the
 * names the caller adds in `outputs` (its own files, written through `writeFileAtomic`).
 */
export async function acquireRunLock(
  directory: string,
  purpose: string,
  report: (message: string) => void = (m) => console.error(m),
  options: { outputs?: readonly FileNamePattern[] } = {},
): Promise<DirectoryLock> {
  await prepareOutputDirectory(directory);
  const lock = await acquireDirectoryLock(directory, 'run.lock', {
    purpose,
    onStale: (owner, reason) =>
      report(`note: ${directory} was locked by process ${owner.pid} (${owner.purpose}, since ${owner.started}), which ${reason}; taking over`),
  });
  await removeOrphanedTemporaries(directory, { names: [...RUN_FOLDER_FILES, ...(options.outputs ?? [])] });
  return lock;
}

/** A file name, exactly, or a pattern for the names of a kind of file. */
export type FileNamePattern = string | RegExp;

/** The files a model or checkpoint save writes into its folder (`saveModel`, `saveCheckpoint`). */
export const MODEL_FOLDER_FILES: readonly FileNamePattern[] = [
  'model.json',
  'checkpoint.json',
  /^weights-[0-9a-f]+\.bin$/,
  /^optimizer-[0-9a-f]+\.bin$/,
  '.save.lock',
];

/** The files this library and its apps write into a run's folder and its model and checkpoint folders. */
export const RUN_FOLDER_FILES: readonly FileNamePattern[] = [...MODEL_FOLDER_FILES, 'metrics.json', 'run.lock'];

/** The temporary names of `writeFileAtomic` and of the locks: `<name>.tmp-<pid>-<digits>`. */
const TEMPORARY = /^(.+)\.tmp-(\d+)-\d+$/;

const matches = (name: string, pattern: FileNamePattern) => (typeof pattern === 'string' ? name === pattern : pattern.test(name));

/**
 * Removes the temporary files that processes killed during a write left behind: a file is removed
 * only when its name is `<name>.tmp-<pid>-<digits>`, `<name>` is one of `names` (files this library
 * writes there: by default those of a run folder, {@link RUN_FOLDER_FILES}) and process `<pid>` is
 * gone. Anything else (a user's `notes.txt.tmp-1-2`, a live process's write) stays. Looks in
 * `directory` and, to `depth` levels (default 1), its subfolders. Returns how many were removed.
 */
export async function removeOrphanedTemporaries(directory: string, options: { names?: readonly FileNamePattern[]; depth?: number } = {}): Promise<number> {
  const { fs, path } = await node();
  const names = options.names ?? RUN_FOLDER_FILES;
  let removed = 0;
  const sweep = async (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const match = TEMPORARY.exec(entry.name);
      if (entry.isFile() && match && names.some((pattern) => matches(match[1], pattern)) && !processIsAlive(Number(match[2]))) {
        await fs.rm(full, { force: true });
        removed += 1;
      } else if (entry.isDirectory() && depth > 0) {
        await sweep(full, depth - 1);
      }
    }
  };
  await sweep(directory, options.depth ?? 1);
  return removed;
}
