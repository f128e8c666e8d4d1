import { parseArgs } from 'node:util';
import { closestName } from '@flows/core';

/** A command-line mistake: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionKind = 'string' | 'integer' | 'positiveInteger' | 'nonNegativeInteger' | 'number' | 'positiveNumber' | 'boolean' | 'integerList';

export interface OptionSpec {
  kind: OptionKind;
  description: string;
  default?: string | number | boolean | readonly number[];
  /** Allowed values for strings. */
  choices?: readonly string[];
  short?: string;
  required?: boolean;
}

/** The value an option of this spec parses to: strings (or one of their choices), numbers, flags or lists. */
export type OptionValue<Spec extends OptionSpec> = Spec['kind'] extends 'boolean'
  ? boolean
  : Spec['kind'] extends 'string'
    ? Spec['choices'] extends readonly (infer Choice extends string)[]
      ? Choice
      : string
    : Spec['kind'] extends 'integerList'
      ? number[]
      : number;

/**
 * What {@link parseOptions} returns for a record of specs: each option typed by its kind, possibly
 * `undefined` unless it has a default or is required (a flag not given is `undefined`), plus `help`.
 */
export type ParsedOptions<Specs extends Record<string, OptionSpec> = Record<string, OptionSpec>> = { help: boolean } & {
  -readonly [Name in keyof Specs]: Specs[Name] extends { default: string | number | boolean | readonly number[] } | { required: true }
    ? OptionValue<Specs[Name]>
    : OptionValue<Specs[Name]> | undefined;
};

/**
 * Declares an app's options once, keeping each option's literal kind and choices so that
 * {@link parseOptions} returns typed values (no casts) and {@link describeOptions} writes the help.
 */
export function defineOptions<const Specs extends Record<string, OptionSpec>>(specs: Specs): Specs {
  return specs;
}

/**
 * Parses `argv` against `specs`. Unknown options (named with the nearest known one), bad or
 * non-decimal numbers, and missing or empty values (`--epochs ''` is not 0) give a UsageError.
 */
export function parseOptions<const Specs extends Record<string, OptionSpec>>(argv: string[], specs: Specs): ParsedOptions<Specs> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(specs))
    config[name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  // `--epochs -1` would read as a missing value followed by an option; join negative numbers to their option.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (name && specs[name] && specs[name].kind !== 'boolean' && /^-\d|^-\.\d/.test(argv[i + 1] ?? '')) {
      args.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else {
      args.push(argv[i]);
    }
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: config, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw parseError(error as Error & { code?: string }, specs);
  }
  const out: Record<string, string | number | boolean | readonly number[] | undefined> = { help: values.help === true };
  for (const [name, spec] of Object.entries(specs)) {
    const raw = values[name];
    if (raw === undefined) {
      if (spec.required && !out.help) throw new UsageError(`missing required option --${name}`);
      out[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      continue;
    }
    out[name] = convert(name, raw, spec);
  }
  return out as ParsedOptions<Specs>;
}

/**
 * A usage error for what node's parseArgs refused, in the apps' words: an unknown flag with the
 * nearest known one (the "did you mean" of the library's option checks), a flag without its value
 * with what the value should be.
 */
function parseError(error: Error & { code?: string }, specs: Record<string, OptionSpec>): UsageError {
  const message = error.message.replace(/\. To specify a positional argument.*$/s, '');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /Unknown option '--([^'=]+)/.exec(message)?.[1];
    const near = given === undefined ? undefined : closestName(given, [...Object.keys(specs), 'help']);
    return new UsageError(near === undefined ? message : `${message}; did you mean --${near}?`);
  }
  const missing = /^Option '(?:-\w, )?--([^' ]+)(?: <value>)?' argument (missing|is ambiguous)/.exec(message);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && missing && specs[missing[1]]) {
    const [, name, why] = missing;
    const hint = why === 'missing' ? '' : ` (the next word starts with a dash; write --${name}=VALUE for a value that does)`;
    return new UsageError(`--${name} needs a value: ${expectedValue(specs[name])}${hint}`);
  }
  return new UsageError(message);
}

/** What an option's value must be, in words, for messages: "a positive integer", "one of half, random". */
function expectedValue(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'string':
      return spec.choices ? `one of ${spec.choices.join(', ')}` : spec.description;
    case 'integer':
      return 'an integer';
    case 'positiveInteger':
      return 'a positive integer';
    case 'nonNegativeInteger':
      return 'a non-negative integer';
    case 'number':
      return 'a number';
    case 'positiveNumber':
      return 'a positive number';
    case 'integerList':
      return 'a comma-separated list of positive integers (e.g. 64,64)';
    default:
      return 'a value';
  }
}

/**
 * A decimal number as people write one (`3`, `-2.5`, `.5`, `1e-3`). `Number` alone also reads
 * `''` and `' '` as 0 and `0x10`, `0b101`, `0o7` as integers: `--epochs ''` would train 0 epochs.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function decimal(text: string): number {
  return DECIMAL.test(text.trim()) ? Number(text) : Number.NaN;
}

function convert(name: string, raw: string | boolean, spec: OptionSpec): string | number | boolean | number[] {
  if (spec.kind === 'boolean') return raw === true;
  const text = String(raw);
  // An empty value (`--epochs ''`, `--seed=`) is a forgotten value, not 0 or an empty name.
  if (text.trim() === '') throw new UsageError(`--${name} needs a value: ${expectedValue(spec)}`);
  const number = decimal(text);
  const bad = (what: string) => new UsageError(`--${name} must be ${what}, got '${text}'`);
  switch (spec.kind) {
    case 'string':
      if (spec.choices && !spec.choices.includes(text)) throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got '${text}'`);
      return text;
    case 'integer':
      if (!Number.isInteger(number)) throw bad('an integer');
      return number;
    case 'positiveInteger':
      if (!Number.isInteger(number) || number <= 0) throw bad('a positive integer');
      return number;
    case 'nonNegativeInteger':
      if (!Number.isInteger(number) || number < 0) throw bad('a non-negative integer');
      return number;
    case 'number':
      if (!Number.isFinite(number)) throw bad('a number');
      return number;
    case 'positiveNumber':
      if (!Number.isFinite(number) || number <= 0) throw bad('a positive number');
      return number;
    case 'integerList': {
      const list = text.split(',').map((s) => decimal(s));
      if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v <= 0)) throw bad('a comma-separated list of positive integers (e.g. 64,64)');
      return list;
    }
    default:
      throw new UsageError(`--${name}: unsupported option kind`);
  }
}

/** The options part of a --help text, one line each with defaults and choices. */
export function describeOptions(specs: Record<string, OptionSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value =
      spec.kind === 'boolean'
        ? ''
        : ` <${spec.kind === 'integerList' ? 'n,n,...' : spec.choices ? spec.choices.join('|') : spec.kind.replace(/^positive|^nonNegative/, '').toLowerCase() || 'value'}>`;
    const left = `  --${name}${value}`;
    const extra = [
      spec.required ? 'required' : '',
      spec.default !== undefined && spec.default !== false ? `default ${Array.isArray(spec.default) ? spec.default.join(',') : spec.default}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `${left.padEnd(40)} ${spec.description}${extra ? ` (${extra})` : ''}`;
  });
  return [...rows, `${'  --help, -h'.padEnd(40)} show this help`].join('\n');
}

/** Multiply-adds of one pass through dense layers of these widths, per sample: Σ wᵢ·wᵢ₊₁. */
export function denseMultiplyAdds(widths: readonly number[]): number {
  let total = 0;
  for (let i = 0; i + 1 < widths.length; i++) total += widths[i] * widths[i + 1];
  return total;
}
