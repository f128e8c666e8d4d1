/**
 * Checks of option objects, for callers in plain JavaScript as much as TypeScript: a misspelled
 * key (`conditioner` for `scale`) would otherwise be ignored without a word, and the layer built
 * with its defaults.
 */

/** Thrown for an option object with a key the function or class does not know. */
export class UnknownOptionError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownOptionError';
  }
}

/**
 * The option names of an options type `T`, checked by the compiler to be complete: a key of `T`
 * missing from the list is a type error naming it, and a name that is not a key of `T` is one too.
 *
 * ```ts
 * const NAMES = optionNames<{ size: number; seed?: number }>()(['size', 'seed']);
 * ```
 */
export function optionNames<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    names: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missingOptionNames: Exclude<keyof T, K[number]> }),
  ): readonly string[] => names as readonly string[];
}

/** The edit distance of two short strings (for "did you mean"). */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}

/**
 * The known name closest to a mistyped `name` (case-insensitive edit distance), or undefined when
 * none is close enough to be the likely intent: within 2 edits, or a third of the name's length for
 * long names. Shared with the command-line apps, so that a misspelled flag or command gets the same
 * "did you mean" as a misspelled library option.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const closest = [...known].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
  return closest !== undefined && editDistance(name, closest) <= Math.max(2, Math.floor(name.length / 3)) ? closest : undefined;
}

/**
 * Throws an {@link UnknownOptionError} when `options` has a key outside `known`, naming the key,
 * the closest known name when one is close, and every valid name. `undefined` and `null` pass
 * (no options given); a value that is not a plain object is rejected.
 */
export function assertKnownOptions(options: unknown, known: readonly string[], who: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new UnknownOptionError(`${who}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const hints = unknown.map((key) => {
    const closest = closestName(key, known);
    return closest !== undefined ? `'${key}' (did you mean '${closest}'?)` : `'${key}'`;
  });
  throw new UnknownOptionError(`${who}: unknown option${unknown.length > 1 ? 's' : ''} ${hints.join(', ')}; valid options: ${known.join(', ')}`);
}

const warnedRenames = new Set<string>();

/**
 * Reads an option that was renamed: the new name's value, else the old name's (with a one-time
 * deprecation warning), else undefined. Both given with different values is an error.
 */
export function renamedOption<V>(options: object, oldName: string, newName: string, who: string): V | undefined {
  const record = options as Record<string, unknown>;
  const hasNew = record[newName] !== undefined;
  const hasOld = record[oldName] !== undefined;
  if (hasNew && hasOld && record[newName] !== record[oldName]) {
    throw new UnknownOptionError(`${who}: '${oldName}' is the old name of '${newName}'; give only '${newName}'`);
  }
  if (!hasNew && hasOld) {
    const key = `${who}.${oldName}`;
    if (!warnedRenames.has(key)) {
      warnedRenames.add(key);
      console.warn(`${who}: the option '${oldName}' is deprecated and will be removed in the next minor release; use '${newName}'`);
    }
    return record[oldName] as V;
  }
  return record[newName] as V | undefined;
}
