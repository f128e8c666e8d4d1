/**
 * What `model.json` and `checkpoint.json` may hold, checked field by field before anything in
 * them is used: a description someone else made is hostile until checked (a file name must not
 * lead out of its folder, a size must not allocate gigabytes), and one edited by hand must not
 * load as a model that gives other densities. Environment neutral (the browser reads these too).
 */
import type { RandomState, WeightSpec } from '@flows/core';
import type { SerializedDistribution } from '@flows/distributions';
import { sha256Hex } from './sha256.js';

/**
 * The current version of the files this module describes. Version 2 added the description
 * checksum; version 1 files (whose checksum covered the weights but not the settings) are refused,
 * since accepting them would let anyone edit a file's settings and mark it version 1.
 */
export const MODEL_FORMAT_VERSION = 2;
export const MODEL_FORMAT = 'flows-model';
export const CHECKPOINT_FORMAT = 'flows-checkpoint';

/** `model.json`: the structure as JSON, where the weights are, and a checksum over all of it. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  model: SerializedDistribution;
  weights: { file: string; specs: WeightSpec[]; checksum: string };
  metadata?: Record<string, unknown>;
  /** SHA-256 (hex) of the rest of the description, see {@link descriptionChecksumOf}. */
  descriptionChecksum: string;
}

/** `checkpoint.json`: a model description, the optimizer's and the generator's state, progress. */
export interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  model: ModelFile;
  optimizer: { file: string; checksum: string; step: number; sizes: number[] };
  random: RandomState;
  epoch: number;
  extra: Record<string, unknown>;
  descriptionChecksum: string;
}

/** Thrown for a missing, unreadable, corrupt or incompatible model or checkpoint file. */
export class ModelFileError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'ModelFileError';
  }
}

/** The names this library gives the binary files of a save: a kind and the first 8 hex digits of the checksum. */
export const WEIGHTS_FILE = /^weights-[0-9a-f]{8}\.bin$/;
export const OPTIMIZER_FILE = /^optimizer-[0-9a-f]{8}\.bin$/;
const FILE_CHECKSUM = /^[0-9a-f]{8}-(\d{1,16})$/;

/** Bounds on what a description may ask for, checked before any allocation. */
const MAX_BINARY_BYTES = 2 ** 32;
const MAX_TENSORS = 100_000;
const MAX_RANK = 8;

/**
 * JSON with every object's keys in sorted order, and otherwise as `JSON.stringify` writes it: the
 * same text for the same values however the file is indented or its keys ordered, and another
 * text for any other value.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

/** SHA-256 (hex) of a description's canonical JSON ({@link canonicalJson}), its own `descriptionChecksum` left out. */
export function descriptionChecksumOf(description: object): string {
  const { descriptionChecksum: _left, ...rest } = description as { descriptionChecksum?: unknown };
  return sha256Hex(new TextEncoder().encode(canonicalJson(rest)));
}

/** `description` with its `descriptionChecksum` (computed last, over everything else). */
export function sealDescription<T extends object>(description: T): T & { descriptionChecksum: string } {
  return { ...description, descriptionChecksum: descriptionChecksumOf(description) };
}

/** A value from a file, for a message: JSON-quoted (control characters escaped) and cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A file name from a file, for a message, in single quotes. */
function shownName(value: unknown): string {
  return typeof value === 'string' ? `'${shown(value).slice(1, -1)}'` : shown(value);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown, max: number): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;

function checkFormatVersion(version: unknown, where: string): void {
  if (typeof version !== 'number') {
    throw new ModelFileError(
      where,
      `formatVersion must be a number, found ${version === undefined ? 'none' : `the ${typeof version} ${shown(version)}`}; the file was edited or comes from elsewhere`,
    );
  }
  if (version === MODEL_FORMAT_VERSION) return;
  if (version > MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      where,
      `has format version ${version}, newer than this version of @flows/model-files reads (${MODEL_FORMAT_VERSION}): update @flows/model-files (or the @flows/flows that brings it)`,
    );
  }
  if (version === 1) {
    throw new ModelFileError(
      where,
      `has format version 1, from an earlier @flows/flows whose checksum did not cover the model's settings, so an edit to them cannot be detected; this version reads version ${MODEL_FORMAT_VERSION} only: save it again with this version (train it again, or load it with the earlier release and save it with this one)`,
    );
  }
  throw new ModelFileError(where, `has format version ${version}; this version of @flows/model-files reads version ${MODEL_FORMAT_VERSION}`);
}

function checkDescriptionChecksum(description: Record<string, unknown>, where: string): void {
  const recorded = description.descriptionChecksum;
  if (typeof recorded !== 'string' || !/^[0-9a-f]{64}$/.test(recorded)) {
    throw new ModelFileError(
      where,
      `has no description checksum (found ${recorded === undefined ? 'none' : shown(recorded)}): the file was edited or was not written by saveModel, so its settings cannot be verified`,
    );
  }
  const actual = descriptionChecksumOf(description);
  if (actual !== recorded) {
    throw new ModelFileError(
      where,
      `the description checksum does not match (recorded ${recorded.slice(0, 12)}..., computed ${actual.slice(0, 12)}...): the settings, weight specs or metadata were changed after the file was saved; use the file as saveModel wrote it`,
    );
  }
}

/** The byte count that a `<8 hex>-<bytes>` checksum records, bounded. */
function checksumBytes(checksum: unknown, what: string, where: string): number {
  const match = typeof checksum === 'string' ? FILE_CHECKSUM.exec(checksum) : null;
  if (!match) {
    throw new ModelFileError(
      where,
      `has no valid ${what} checksum (found ${checksum === undefined ? 'none' : shown(checksum)}): the file was edited or was not written by saveModel, so its ${what === 'weights' ? 'weights' : 'state'} cannot be verified`,
    );
  }
  const bytes = Number(match[1]);
  // Weights may hold float16 tensors (2 bytes a value; their specs are checked to add up to this);
  // an optimizer's state is float32.
  const unit = what === 'weights' ? 2 : 4;
  if (bytes > MAX_BINARY_BYTES || bytes % unit !== 0) {
    throw new ModelFileError(
      where,
      `the ${what} checksum records ${match[1]} bytes, which is not a whole number of ${unit === 2 ? 'float16 or float32' : 'float32'} values of at most ${MAX_BINARY_BYTES} bytes`,
    );
  }
  return bytes;
}

function checkWeights(weights: unknown, where: string): void {
  if (!isObject(weights) || typeof weights.file !== 'string' || !Array.isArray(weights.specs))
    throw new ModelFileError(where, "lacks 'model' or 'weights' entries");
  if (!WEIGHTS_FILE.test(weights.file)) {
    throw new ModelFileError(where, `weights.file ${shownName(weights.file)} is not a weights file name of this library (weights-<8 hex digits>.bin)`);
  }
  const bytes = checksumBytes(weights.checksum, 'weights', where);
  const specs = weights.specs as unknown[];
  if (specs.length > MAX_TENSORS) throw new ModelFileError(where, `weights.specs lists ${specs.length} tensors, more than ${MAX_TENSORS}`);
  let values = 0;
  let stored = 0;
  specs.forEach((spec, i) => {
    if (!isObject(spec)) throw new ModelFileError(where, `weights.specs[${i}] is not an object`);
    if (spec.dtype !== 'float32' && spec.dtype !== 'float16')
      throw new ModelFileError(where, `weights.specs[${i}] has dtype ${shown(spec.dtype)}; weights are stored as float32 or float16`);
    const shape = spec.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => isCount(d, MAX_BINARY_BYTES / 4))) {
      throw new ModelFileError(
        where,
        `weights.specs[${i}] has the shape ${shown(shape)}; a shape is a list of at most ${MAX_RANK} sizes from 0 to ${MAX_BINARY_BYTES / 4}`,
      );
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    values += size;
    stored += size * (spec.dtype === 'float16' ? 2 : 4);
    if (size > MAX_BINARY_BYTES / 4 || values > MAX_BINARY_BYTES / 4) {
      throw new ModelFileError(
        where,
        `weights.specs[${i}] has the shape ${shown(shape)}, more values than a weights file of at most ${MAX_BINARY_BYTES} bytes holds`,
      );
    }
  });
  if (stored !== bytes) {
    throw new ModelFileError(
      where,
      `weights.specs hold ${values} values in ${stored} bytes, but the weights checksum says ${bytes} bytes: the description is inconsistent`,
    );
  }
}

/**
 * Checks a parsed `model.json` and says precisely what is wrong: its format and version, the
 * weights file's name (one of this library's, so that it names a file in the model's folder and
 * nowhere else), the weight specs (bounded, and adding up to the size the weights checksum
 * records), the metadata, and last the description checksum over all of it.
 */
export function validateModelFile(json: unknown, where: string): ModelFile {
  if (!isObject(json)) throw new ModelFileError(where, 'is not a JSON object');
  if (json.format !== MODEL_FORMAT) throw new ModelFileError(where, `is not a flows model file (format ${shownName(json.format)}, expected '${MODEL_FORMAT}')`);
  checkFormatVersion(json.formatVersion, where);
  if (!isObject(json.model)) throw new ModelFileError(where, "lacks 'model' or 'weights' entries");
  checkWeights(json.weights, where);
  if (json.metadata !== undefined && !isObject(json.metadata)) throw new ModelFileError(where, `metadata must be an object, found ${shown(json.metadata)}`);
  checkDescriptionChecksum(json, where);
  return json as unknown as ModelFile;
}

/** Checks a parsed `checkpoint.json` as {@link validateModelFile} does a model's, its model included. */
export function validateCheckpointFile(json: unknown, where: string): CheckpointFile {
  if (!isObject(json)) throw new ModelFileError(where, 'is not a JSON object');
  if (json.format !== CHECKPOINT_FORMAT) throw new ModelFileError(where, `is not a flows checkpoint (format ${shownName(json.format)})`);
  checkFormatVersion(json.formatVersion, where);
  if (!json.model || !json.optimizer || !json.random || json.epoch === undefined) throw new ModelFileError(where, 'is incomplete');
  validateModelFile(json.model, where);
  const optimizer = json.optimizer;
  if (!isObject(optimizer)) throw new ModelFileError(where, 'optimizer is not an object');
  if (typeof optimizer.file !== 'string' || !OPTIMIZER_FILE.test(optimizer.file)) {
    throw new ModelFileError(where, `optimizer.file ${shownName(optimizer.file)} is not an optimizer file name of this library (optimizer-<8 hex digits>.bin)`);
  }
  const bytes = checksumBytes(optimizer.checksum, 'optimizer', where);
  if (!isCount(optimizer.step, Number.MAX_SAFE_INTEGER))
    throw new ModelFileError(where, `optimizer.step must be a whole number from 0, found ${shown(optimizer.step)}`);
  const sizes = optimizer.sizes;
  if (!Array.isArray(sizes) || sizes.length > MAX_TENSORS || !sizes.every((size) => isCount(size, MAX_BINARY_BYTES / 8))) {
    throw new ModelFileError(where, `optimizer.sizes must be a list of at most ${MAX_TENSORS} sizes from 0 to ${MAX_BINARY_BYTES / 8}, found ${shown(sizes)}`);
  }
  // Two moments (first and second) per variable, float32 each.
  const values = (sizes as number[]).reduce((a, b) => a + b, 0);
  if (values * 2 * 4 !== bytes) {
    throw new ModelFileError(
      where,
      `optimizer.sizes add up to ${values} values per moment, but the optimizer checksum says ${bytes} bytes (${bytes / 8} per moment)`,
    );
  }
  const random = json.random;
  if (
    !isObject(random) ||
    !Array.isArray(random.words) ||
    random.words.length !== 4 ||
    !random.words.every((w) => isCount(w, 2 ** 32 - 1)) ||
    !(random.spareNormal === null || random.spareNormal === undefined || Number.isFinite(random.spareNormal))
  ) {
    throw new ModelFileError(where, `random must be a generator state {words: four 32-bit unsigned integers, spareNormal}, found ${shown(random)}`);
  }
  if (!isCount(json.epoch, Number.MAX_SAFE_INTEGER)) throw new ModelFileError(where, `epoch must be a whole number from 0, found ${shown(json.epoch)}`);
  if (json.extra !== undefined && !isObject(json.extra)) throw new ModelFileError(where, `extra must be an object, found ${shown(json.extra)}`);
  checkDescriptionChecksum(json, where);
  return json as unknown as CheckpointFile;
}

/**
 * The binary files that a `model.json` or `checkpoint.json` of this library names, for a save that
 * replaces it: only names of this library's own patterns (so a crafted file cannot make a save
 * remove `../important` or a user's `firmware.bin`); nothing for a file of another format.
 */
export function namedBinaries(json: unknown): string[] {
  if (!isObject(json)) return [];
  const names: [unknown, RegExp][] = [];
  if (json.format === MODEL_FORMAT && isObject(json.weights)) names.push([json.weights.file, WEIGHTS_FILE]);
  if (json.format === CHECKPOINT_FORMAT) {
    if (isObject(json.model) && json.model.format === MODEL_FORMAT && isObject(json.model.weights)) names.push([json.model.weights.file, WEIGHTS_FILE]);
    if (isObject(json.optimizer)) names.push([json.optimizer.file, OPTIMIZER_FILE]);
  }
  return names.filter(([name, pattern]) => typeof name === 'string' && pattern.test(name)).map(([name]) => name as string);
}
