/**
 * Where flow-codec writes, checked before any work: coding 10 000 images takes minutes, and a
 * wrong `--out` must be named at once, in the user's own words (the flag and the path, never a
 * temporary name), with nothing the user did not make overwritten or deleted.
 */
import { lstat, readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UsageError } from '@flows/cli-kit';
import { OutputDirectoryError, prepareOutputDirectory, processIsAlive } from '@flows/flows';

/** A file-system failure while writing an output, named by the user's path and with the fix. */
export class OutputWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputWriteError';
  }
}

/** What each error code means for someone writing a file, and what to do. */
const EXPLANATIONS: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space, or write elsewhere',
  EDQUOT: 'the disk quota is used up: free some space, or write elsewhere',
  EACCES: 'permission denied: write to a folder you may write to',
  EPERM: 'the operation is not permitted there: write to a folder you may write to',
  EROFS: 'the file system is read-only: write elsewhere',
  EISDIR: 'it is a folder: give the name of a file',
  ENOTDIR: 'a part of the path is a file, not a folder: choose another path',
  EEXIST: 'it appeared while this ran (something else wrote it); nothing was overwritten: choose another name',
  ENOTEMPTY: 'it appeared while this ran (something else wrote it); nothing was overwritten: choose another name',
  ENAMETOOLONG: 'the name is too long for the file system: choose a shorter one',
  EMFILE: 'too many files are open: close some programs and try again',
  EIO: 'the disk reported an input/output error: check it, or write elsewhere',
};

/**
 * The message for a failed write of `path` (the user's `flag` value), naming `file` inside it when
 * given, the error's code, what it means and the fix: never the temporary name the write used.
 */
export function describeWriteError(error: unknown, flag: string, path: string, file?: string): OutputWriteError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const explanation = (code && EXPLANATIONS[code]) ?? (error as Error | undefined)?.message ?? String(error);
  const what = file ? `${flag} ${path} (writing ${file})` : `${flag} ${path}`;
  return new OutputWriteError(`cannot write ${what}: ${explanation}${code ? ` (${code})` : ''}; nothing was written`);
}

async function lstatOrNull(path: string): Promise<Awaited<ReturnType<typeof lstat>> | null> {
  try {
    return await lstat(path);
  } catch {
    return null;
  }
}

/** The real path of `path`: its longest existing prefix with links resolved, then the rest (which need not exist yet). */
export async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies under it (both real, absolute paths). */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);
}

/** Proves `folder` (which holds or is `path`) writable, creating it, naming `flag` when it is not. */
async function prepareFolder(flag: string, path: string, folder: string): Promise<void> {
  try {
    await prepareOutputDirectory(folder);
  } catch (error) {
    if (error instanceof OutputDirectoryError) throw new UsageError(`${flag} ${path} cannot be written: ${error.message}; choose another place`);
    throw error;
  }
}

/**
 * Compress's `--out`, checked before the model is loaded: not a folder; not an existing file
 * unless `force`; never the input itself, nor a file inside an input folder, even with `force`
 * (compared by real path and by identity, so links and other spellings are caught); and its
 * folder writable (created when missing).
 */
export async function preflightOutputFile(out: string, options: { force?: boolean; input?: string; embeddedInputs?: readonly string[] }): Promise<void> {
  const target = resolve(out);
  const existing = await lstatOrNull(target);
  const followed = existing && (await stat(target).catch(() => null));
  if (followed?.isDirectory()) throw new UsageError(`--out ${out} is a folder; give the name of the file to write`);
  const input = options.input;
  if (input !== undefined && !options.embeddedInputs?.includes(input)) {
    const inputStat = await stat(input).catch(() => null);
    if (inputStat) {
      const realInput = await realpath(input);
      const realOut = await realPathOf(target);
      if (inputStat.isDirectory()) {
        if (isWithin(realOut, realInput))
          throw new UsageError(`--out ${out} is inside the --input folder ${input}; write the compressed file outside the folder of images`);
      } else if (realOut === realInput || (followed && followed.dev === inputStat.dev && followed.ino === inputStat.ino)) {
        throw new UsageError(`--out ${out} is the --input file itself; compressing over the images would lose them: choose another name`);
      }
    }
  }
  if (existing && !options.force) throw new UsageError(`--out ${out} exists; pass --force to replace it, or choose another name`);
  await prepareFolder('--out', out, dirname(target));
}

/** An output folder such as compare's `--out` (existing or not), proved writable before any work. */
export async function preflightOutputDirectory(flag: string, path: string): Promise<void> {
  await prepareFolder(flag, path, resolve(path));
}

/** Decompress's `--out`, checked before the model is loaded: a new folder, in a folder that can be written (created when missing). */
export async function preflightOutputFolder(out: string, report: (message: string) => void = (m) => console.error(m)): Promise<void> {
  const target = resolve(out);
  if (await lstatOrNull(target)) throw new UsageError(`--out ${out} exists; decompress writes a new folder (remove it or choose another)`);
  await prepareFolder('--out', out, dirname(target));
  await removeAbandonedPartials(target, report);
}

/** The temporary folder a decompress into `target` fills before renaming it: `<target>.partial-<pid>`. */
export function partialFolder(target: string, pid = process.pid): string {
  return `${resolve(target)}.partial-${pid}`;
}

/**
 * Removes the `<target>.partial-<pid>` folders next to `target` whose decompress was killed (its
 * process is gone, or its pid is now this process's), as saves remove their `*.tmp-<pid>-<n>`
 * files. Only folders of this exact name that hold nothing but files are removed: anything else
 * there is not a decompress's, and is left alone (and named). Returns the paths removed.
 */
export async function removeAbandonedPartials(target: string, report: (message: string) => void = (m) => console.error(m)): Promise<string[]> {
  const absolute = resolve(target);
  const folder = dirname(absolute);
  const prefix = `${basename(absolute)}.partial-`;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.name.startsWith(prefix)) continue;
    const pidText = entry.name.slice(prefix.length);
    if (!/^[1-9]\d{0,9}$/.test(pidText) || !entry.isDirectory()) continue;
    const pid = Number(pidText);
    if (pid !== process.pid && processIsAlive(pid)) continue;
    const path = join(folder, entry.name);
    const inside = await readdir(path, { withFileTypes: true }).catch(() => null);
    if (!inside || inside.some((item) => !item.isFile())) {
      report(`note: ${path} looks like an interrupted decompress's folder but holds more than files; left alone (remove it by hand if it is not needed)`);
      continue;
    }
    await rm(path, { recursive: true, force: true });
    removed.push(path);
    report(`note: removed ${path}, left by a decompress (process ${pid}) that did not finish`);
  }
  return removed;
}
