/**
 * Guards for directories that runs write into (Node only): a lock file that names its owner, a
 * preflight that proves an output directory can be written before any work starts, and the
 * clean-up of temporary files that killed processes left behind.
 */
import { importNodeBuiltin } from '@flows/core';

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

/** Who holds a lock: written into the lock file as JSON. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  purpose: string;
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

export interface LockOptions {
  /** What the holder is doing, for the message another process sees (e.g. 'toy-flow train'). */
  purpose: string;
  /** How long to wait for a live holder to finish, in ms (default 0: fail at once). */
  waitMs?: number;
  /** Told when a stale lock (its process is gone) is taken over. */
  onStale?: (owner: LockOwner) => void;
}

/** A held lock: `release()` removes the lock file (once; safe to call twice). */
export interface DirectoryLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes the lock file `name` in `directory` (created if needed) with an exclusive create. A lock
 * whose process has gone on this host is stale: it is reported through `onStale` and taken over.
 * A live holder, or one on another host (which cannot be checked from here), makes this wait up
 * to `waitMs`, then throw a {@link DirectoryLockedError} naming the holder.
 */
export async function acquireDirectoryLock(directory: string, name: string, options: LockOptions): Promise<DirectoryLock> {
  const { fs, path, os } = await node();
  const fsSync = await importNodeBuiltin<typeof import('node:fs')>('fs', 'directory locks');
  hookExit();
  const file = path.join(directory, name);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), purpose: options.purpose };
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const releaseSync = () => {
        if (released) return;
        released = true;
        try {
          // Only our own lock: a stale-lock takeover by another process must not be undone.
          if ((JSON.parse(fsSync.readFileSync(file, 'utf8')) as LockOwner).pid === process.pid) fsSync.unlinkSync(file);
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
            const owner = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner;
            if (owner.pid === process.pid && owner.host === me.host) await fs.rm(file, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OutputDirectoryError(directory, `cannot create the lock file ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    let owner: LockOwner | null = null;
    try {
      owner = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner;
    } catch {
      // Being written or removed right now, or unreadable: look again shortly.
    }
    if (owner && owner.host === me.host && !processIsAlive(owner.pid)) {
      options.onStale?.(owner);
      // Take it over atomically: rename our own claim over the stale file would race; remove, then retry the exclusive create.
      await fs.rm(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `process ${owner.pid} on ${owner.host} (${owner.purpose}, since ${owner.started})` : 'another process';
      const hint =
        owner && owner.host !== me.host ? `; if that run is no longer going, delete ${file}` : '; wait for it to finish, or choose another directory';
      throw new DirectoryLockedError(directory, owner, `${directory} is in use by ${who}${hint}`);
    }
    await sleep(Math.min(200, 5 * (attempt + 1)));
  }
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
 * is reported and taken over. Also removes the temporary files that killed runs left there.
 */
export async function acquireRunLock(directory: string, purpose: string, report: (message: string) => void = (m) => console.error(m)): Promise<DirectoryLock> {
  await prepareOutputDirectory(directory);
  const lock = await acquireDirectoryLock(directory, 'run.lock', {
    purpose,
    onStale: (owner) =>
      report(`note: ${directory} was locked by process ${owner.pid} (${owner.purpose}, since ${owner.started}), which is no longer running; taking over`),
  });
  await removeOrphanedTemporaries(directory);
  return lock;
}

/** Matches the temporary names of {@link writeFileAtomic}: `<name>.tmp-<pid>-<time>`. */
const TEMPORARY = /\.tmp-(\d+)-\d+$/;

/**
 * Removes `*.tmp-<pid>-<time>` files (in `directory` and its direct subfolders) whose process is
 * gone: what a run killed during a write leaves behind. Returns how many were removed.
 */
export async function removeOrphanedTemporaries(directory: string): Promise<number> {
  const { fs, path } = await node();
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
      if (entry.isFile() && match && !processIsAlive(Number(match[1]))) {
        await fs.rm(full, { force: true });
        removed += 1;
      } else if (entry.isDirectory() && depth > 0) {
        await sweep(full, depth - 1);
      }
    }
  };
  await sweep(directory, 1);
  return removed;
}
