import { ArchitectureError } from './errors.js';
import type { SafetensorsFile } from './safetensors.js';

/** The `format` of an architecture description written by export_flow.py. */
export const ARCHITECTURE_FORMAT = 'flows-torch-architecture';
/** The description version this importer reads. */
export const ARCHITECTURE_FORMAT_VERSION = 1;

/**
 * A checked view of one object of an architecture description: each read names the key and what
 * it must be, so a hand-edited or damaged description gives an error that says where.
 */
export class Described {
  constructor(
    readonly value: Record<string, unknown>,
    readonly where: string,
  ) {}

  static of(value: unknown, where: string): Described {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArchitectureError(where, 'must be a JSON object');
    return new Described(value as Record<string, unknown>, where);
  }

  private at(key: string): string {
    return `${this.where}.${key}`;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  string<const C extends string>(key: string, choices?: readonly C[]): C {
    const v = this.value[key];
    if (typeof v !== 'string') throw new ArchitectureError(this.at(key), `must be a string, got ${describe(v)}`);
    if (choices && !choices.includes(v as C)) throw new ArchitectureError(this.at(key), `must be one of ${choices.join(', ')}, got '${v}'`);
    return v as C;
  }

  number(key: string): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArchitectureError(this.at(key), `must be a finite number, got ${describe(v)}`);
    return v;
  }

  positive(key: string): number {
    const v = this.number(key);
    if (!(v > 0)) throw new ArchitectureError(this.at(key), `must be positive, got ${v}`);
    return v;
  }

  integer(key: string, min = 0, max = 1e9): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new ArchitectureError(this.at(key), `must be an integer in [${min}, ${max}], got ${describe(v)}`);
    return v;
  }

  boolean(key: string): boolean {
    const v = this.value[key];
    if (typeof v !== 'boolean') throw new ArchitectureError(this.at(key), `must be true or false, got ${describe(v)}`);
    return v;
  }

  node(key: string): Described {
    return Described.of(this.value[key], this.at(key));
  }

  optionalNode(key: string): Described | null {
    return this.has(key) ? this.node(key) : null;
  }

  nodes(key: string): Described[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw new ArchitectureError(this.at(key), `must be a list, got ${describe(v)}`);
    return v.map((item, i) => Described.of(item, `${this.at(key)}[${i}]`));
  }

  integers(key: string, min = 0, max = 1e9, length?: number): number[] {
    const v = this.value[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)) {
      throw new ArchitectureError(this.at(key), `must be a list of integers in [${min}, ${max}]`);
    }
    if (length !== undefined && v.length !== length) throw new ArchitectureError(this.at(key), `must have ${length} entries, got ${v.length}`);
    return v as number[];
  }

  booleans(key: string, length?: number): boolean[] {
    const v = this.value[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'boolean')) throw new ArchitectureError(this.at(key), 'must be a list of true/false');
    if (length !== undefined && v.length !== length) throw new ArchitectureError(this.at(key), `must have ${length} entries, got ${v.length}`);
    return v as boolean[];
  }

  /** The state_dict key stored under `key`, checked to name a tensor of the file. */
  tensorKey(key: string, weights: TorchWeights): string {
    const name = this.string(key);
    if (!weights.file.entries.has(name)) throw new ArchitectureError(this.at(key), `names '${name}', which the weights file does not hold`);
    return name;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** The weights file, read with the shapes the description promises. */
export class TorchWeights {
  constructor(readonly file: SafetensorsFile) {}

  /** A tensor's values (as float32: the models run in float32), checked to have `shape` and finite values. */
  tensor(name: string, shape: readonly number[], where: string): Float32Array {
    this.checkShape(name, shape, where);
    const values = this.file.float32(name);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        throw new ArchitectureError(where, `'${name}' holds a non-finite value (${values[i]}) at ${i}: the model diverged or the file is damaged`);
    }
    return values;
  }

  /** A mask's values as 0 and 1 (booleans, or numbers where 0 is off), checked to have `shape`. */
  mask(name: string, shape: readonly number[], where: string): Uint8Array {
    this.checkShape(name, shape, where);
    return this.file.flags(name);
  }

  private checkShape(name: string, shape: readonly number[], where: string): void {
    const entry = this.file.entries.get(name);
    if (!entry) throw new ArchitectureError(where, `names '${name}', which the weights file does not hold`);
    // Leading 1-dimensions (normflows keeps parameters as [1, D]) do not change the values.
    const strip = (s: readonly number[]) => {
      let i = 0;
      while (i < s.length - 1 && s[i] === 1) i++;
      return s.slice(i).join(',');
    };
    if (strip(entry.shape) !== strip(shape))
      throw new ArchitectureError(where, `'${name}' has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
}
