/**
 * The names of images that `decompress` writes back as files. They come from a `.fcod` file, which
 * anyone can edit (its digest can be computed again), so each must be a plain file name that means
 * the same on every system: one path component, nothing a file system reinterprets, and no two
 * that a case-insensitive or normalising file system (Windows, macOS) would take for one file.
 * `compress` refuses input names that fail the same rules, so every file it writes can be decoded.
 */
import { basename, dirname, resolve } from 'node:path';
import { shownValue } from '@flows/codec';

/** The longest name, in UTF-8 bytes: the limit of ext4, NTFS, APFS and most others. */
export const MAX_NAME_BYTES = 255;

/** Characters Windows refuses in names (`:` also makes drive letters and NTFS streams), and both separators. */
const FORBIDDEN = /[/\\:*?"<>|]/;

/**
 * Code points that are invisible or reinterpreted: controls (NUL, newline, escape), format
 * characters (bidirectional overrides that disguise an extension, zero-width joiners), lone
 * surrogates, private-use and unassigned code points, line and paragraph separators, and spaces
 * other than the ASCII one.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** Device names Windows reserves in any folder, with any extension (`CON.png` is the console). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

/** Why `name` cannot be written back as an image's file, or `null` when it can. */
export function imageNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return `is ${shownValue(name)}, not a string`;
  if (name === '' || name === '.' || name === '..') return 'is not a file name';
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES) return `is ${bytes} bytes long; a file name has at most ${MAX_NAME_BYTES}`;
  const forbidden = FORBIDDEN.exec(name);
  if (forbidden)
    return forbidden[0] === '/' || forbidden[0] === '\\'
      ? `holds a path separator (${shownValue(forbidden[0])}): an image's name is a single file name`
      : `holds ${shownValue(forbidden[0])}, which Windows does not allow in a name`;
  const invisible = INVISIBLE.exec(name);
  if (invisible) return `holds the invisible or control character U+${(invisible[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (name !== name.trim()) return 'starts or ends with a space, which Windows strips';
  if (!name.toLowerCase().endsWith('.png') || name.length <= 4) return 'is not the name of a .png file';
  const stem = name.slice(0, name.indexOf('.') < 0 ? name.length : name.indexOf('.')).trimEnd();
  if (RESERVED.test(stem)) return `starts with ${shownValue(stem)}, a device name that Windows reserves`;
  return null;
}

/**
 * The key under which two names are one file on some system: compatibility-normalised (NFKC, so
 * `é` and `e` + combining accent, or a full-width `Ａ` and `A`, are one) and case-folded.
 */
export function imageNameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** The first two positions whose names are one file on a case-insensitive or normalising file system, or `null`. */
export function firstCollision(names: readonly string[]): [number, number] | null {
  const seen = new Map<string, number>();
  for (let k = 0; k < names.length; k++) {
    const key = imageNameKey(names[k]);
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, k];
    seen.set(key, k);
  }
  return null;
}

/** A name that would write outside the folder it was meant for, or over another image. */
export class UnsafeImageNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeImageNameError';
  }
}

/**
 * The path of image `name` directly inside `folder`, checked again where it is used (names are
 * validated when the file is read; this is the second line): the name must pass
 * {@link imageNameProblem} and the path must resolve to a file whose folder is `folder` itself.
 */
export function safeImagePath(folder: string, name: string): string {
  const problem = imageNameProblem(name);
  if (problem) throw new UnsafeImageNameError(`refusing to write the image ${shownValue(name)}: it ${problem}`);
  const parent = resolve(folder);
  const path = resolve(parent, name);
  if (dirname(path) !== parent || basename(path) !== name)
    throw new UnsafeImageNameError(`refusing to write the image ${shownValue(name)}: it does not name a file directly inside ${parent}`);
  return path;
}
