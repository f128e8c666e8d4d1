import type * as tf from '@tensorflow/tfjs-core';
import { assignWeights, importNodeBuiltin, packWeights, type RandomState } from '@flows/core';
import { type Distribution, distributionFromJSON, type SerializedDistribution } from '@flows/distributions';
import { acquireDirectoryLock, MODEL_FOLDER_FILES, removeOrphanedTemporaries, temporaryName } from './directory-lock.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointFile,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelFile,
  ModelFileError,
  namedBinaries,
  sealDescription,
  validateCheckpointFile,
  validateModelFile,
} from './model-description.js';
import { decodeWeights, encodeWeights, type WeightPrecision } from './half-precision.js';

export { MODEL_FORMAT_VERSION, type ModelFile, ModelFileError, validateModelFile } from './model-description.js';

/** FNV-1a over the bytes: detects truncated or altered weight files. */
export function checksum(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${hash.toString(16).padStart(8, '0')}-${bytes.length}`;
}

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function bytesToFloats(bytes: Uint8Array, where: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new ModelFileError(where, `length ${bytes.byteLength} is not a whole number of float32 values`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Anything that saves as a JSON description plus variables: a distribution, or e.g. a VAE. */
export interface Saveable {
  toJSON(): SerializedDistribution;
  readonly variables: tf.Variable[];
}

/** Rebuilds a saved object (fresh variables) from its JSON description. */
export type Rebuild<T> = (serialized: SerializedDistribution) => T;

/** How {@link saveModel} stores the weights. */
export interface SaveOptions {
  /**
   * `float32` (the default: the weights as trained) or `float16`: every tensor at half precision
   * (rounded to nearest even, read back exactly), half the bytes, for models that ship; or a
   * function choosing per variable (`model.variables[index]`), for a model where a few tensors need
   * float32 (an integer flow's shifts move by whole bins when their output bias is rounded). A model
   * saved at float16 is a slightly different model: measure its figures by loading what was saved.
   * A value that rounds past ±65504 (from 65520 on) is refused, naming its tensor.
   */
  precision?: WeightPrecision | ((variable: tf.Variable, index: number) => WeightPrecision);
}

/** The model's JSON description and its weights as bytes (environment neutral). */
export async function serializeModel(
  model: Saveable,
  metadata?: Record<string, unknown>,
  options: SaveOptions = {},
): Promise<{ json: ModelFile; weights: Uint8Array }> {
  const precision = options.precision ?? 'float32';
  const variables = model.variables;
  const packed = await packWeights(variables);
  const specs = packed.specs.map((spec, i) => {
    const dtype = typeof precision === 'function' ? precision(variables[i], i) : precision;
    if (dtype !== 'float32' && dtype !== 'float16') throw new RangeError(`precision ${String(dtype)}: weights are saved as float32 or float16`);
    return { ...spec, dtype };
  });
  const weights = specs.every((spec) => spec.dtype === 'float32')
    ? floatBytes(packed.data)
    : encodeWeights(packed.data, specs, (i) => `weight tensor ${i} (shape [${specs[i].shape.join(', ')}])`);
  const sum = checksum(weights);
  return {
    json: sealDescription({
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: model.toJSON(),
      weights: { file: `weights-${sum.split('-')[0]}.bin`, specs, checksum: sum },
      ...(metadata ? { metadata } : {}),
    } as const),
    weights,
  };
}

/**
 * The files {@link saveModel} writes, by name: `model.json` (its exact text) and the weights file
 * named in it. A browser offers these for download; {@link modelFromFiles} reads them back.
 */
export async function modelFiles(
  model: Saveable,
  metadata?: Record<string, unknown>,
  options: SaveOptions = {},
): Promise<{ json: ModelFile; files: Record<string, string | Uint8Array> }> {
  const { json, weights } = await serializeModel(model, metadata, options);
  return { json, files: { 'model.json': JSON.stringify(json, null, 1), [json.weights.file]: weights } };
}

/**
 * Rebuilds a model from the files {@link saveModel} writes, given by name (for example files that
 * a user dropped on a page): `model.json` as text or bytes, and the weights file it names. A
 * missing file, JSON that does not parse, a description that fails its checksum (an edited
 * setting) or names that are not this library's, or weights that fail their checksum throw a
 * {@link ModelFileError} naming the problem.
 */
export function modelFromFiles<T extends Saveable & { dispose(): void } = Distribution>(files: Record<string, string | Uint8Array>, rebuild?: Rebuild<T>): T {
  const jsonEntry = files['model.json'];
  if (jsonEntry === undefined) {
    const names = Object.keys(files);
    throw new ModelFileError('model.json', `not among the files given (${names.length ? names.join(', ') : 'none'}): give model.json and its weights file`);
  }
  const text = typeof jsonEntry === 'string' ? jsonEntry : new TextDecoder().decode(jsonEntry);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError('model.json', `is not valid JSON (${(error as Error).message}); the file is corrupt`);
  }
  const json = validateModelFile(parsed, 'model.json');
  const weights = files[json.weights.file];
  if (weights === undefined) throw new ModelFileError(json.weights.file, 'weights file not among the files given: give it beside model.json');
  if (typeof weights === 'string') throw new ModelFileError(json.weights.file, 'weights must be bytes, not text');
  return rebuild ? deserializeModel<T>(json, weights, 'model.json', rebuild) : deserializeModel<T>(json, weights, 'model.json');
}

/** Rebuilds a model from its JSON description and weight bytes (a distribution unless `rebuild` says otherwise). */
export function deserializeModel<T extends Saveable & { dispose(): void } = Distribution>(
  json: unknown,
  weights: Uint8Array,
  where = 'model',
  rebuild: Rebuild<T> = distributionFromJSON as unknown as Rebuild<T>,
): T {
  const file = validateModelFile(json, where);
  if (checksum(weights) !== file.weights.checksum) {
    throw new ModelFileError(
      `${where} (${file.weights.file})`,
      `checksum mismatch: the weights file is truncated or corrupt (expected ${file.weights.checksum}, got ${checksum(weights)})`,
    );
  }
  let model: T;
  try {
    model = rebuild(file.model);
  } catch (error) {
    throw new ModelFileError(where, `cannot rebuild the model: ${(error as Error).message}`);
  }
  try {
    // The specs were checked to add up to the file's length, at their dtypes.
    const values = file.weights.specs.every((spec) => spec.dtype === 'float32')
      ? bytesToFloats(weights, file.weights.file)
      : decodeWeights(weights, file.weights.specs);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`weight ${bad} of ${values.length} is ${values[bad]}: a model with non-finite weights gives no usable densities`);
    assignWeights(model.variables, file.weights.specs, values);
  } catch (error) {
    model.dispose();
    throw new ModelFileError(where, (error as Error).message);
  }
  return model;
}

/** Loads a saved model over HTTP(S) or any fetch-able URL (for the browser): `<baseUrl>/model.json`. */
export async function loadModelFromUrl(baseUrl: string): Promise<Distribution> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const response = await fetch(`${base}model.json`);
  if (!response.ok) throw new ModelFileError(`${base}model.json`, `HTTP ${response.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch (error) {
    throw new ModelFileError(`${base}model.json`, `is not valid JSON (${(error as Error).message}); the file is corrupt`);
  }
  // The weights file's name is checked here (weights-<8 hex>.bin), so the URL stays beside model.json.
  const json = validateModelFile(parsed, `${base}model.json`);
  const weightsResponse = await fetch(`${base}${json.weights.file}`);
  if (!weightsResponse.ok) throw new ModelFileError(`${base}${json.weights.file}`, `HTTP ${weightsResponse.status}`);
  return deserializeModel<Distribution>(json, new Uint8Array(await weightsResponse.arrayBuffer()), `${base}model.json`);
}

// ---- Node file system (imported by computed name: browser bundles neither resolve nor include it) ----

async function node() {
  const [fs, path] = await Promise.all([
    importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'saving and loading model directories'),
    importNodeBuiltin<typeof import('node:path')>('path', 'saving and loading model directories'),
  ]);
  return { fs, path };
}

/** Why a write failed, and what to do, for the common causes. */
function explainWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC); free space there or save to another folder';
    case 'EDQUOT':
      return 'the disk quota is used up (EDQUOT); free space there or save to another folder';
    case 'EFBIG':
      return 'the file is larger than this file system or a size limit (ulimit -f) allows (EFBIG); raise the limit or save to another folder';
    case 'EACCES':
    case 'EPERM':
      return `no permission to write there (${code}); choose a folder you can write, or change its permissions`;
    case 'EROFS':
      return 'the file system is read-only (EROFS); save to another folder';
    case 'EISDIR':
      return 'it is a directory (EISDIR); remove it or choose another name';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder (ENOTDIR); choose another path';
    case 'EIO':
      return 'the disk or network file system failed (EIO); check it, then save again';
    default:
      return (error as Error).message ?? String(error);
  }
}

/**
 * Thrown when a file cannot be written: names the file the caller asked for (not the temporary
 * file that was being written), the cause and the fix; `code` is the system's (e.g. 'ENOSPC').
 */
export class FileWriteError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${explainWriteError(cause)}`, { cause });
    this.name = 'FileWriteError';
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * Writes a file atomically: a temporary file in the same directory (`<name>.tmp-<pid>-<digits>`),
 * then a rename. A failure removes the temporary file and throws a {@link FileWriteError} naming
 * `filePath`; the file that was there before is unchanged.
 */
export async function writeFileAtomic(filePath: string, data: Uint8Array | string): Promise<void> {
  const { fs, path } = await node();
  const temporary = temporaryName(filePath);
  try {
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, filePath);
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => {});
    throw new FileWriteError(filePath, error);
  }
}

async function readFileOrExplain(filePath: string, what: string): Promise<Buffer> {
  const { fs } = await node();
  try {
    return await fs.readFile(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(filePath, code === 'ENOENT' ? `${what} not found` : `${what} cannot be read (${code})`);
  }
}

async function readJson(filePath: string, what: string): Promise<unknown> {
  const text = (await readFileOrExplain(filePath, what)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(filePath, `is not valid JSON (${(error as Error).message}); the file is corrupt`);
  }
}

/** The binary files that the description `name` in `dir` names now (none when it is missing or not this library's). */
async function binariesNamedBy(dir: string, name: 'model.json' | 'checkpoint.json'): Promise<string[]> {
  const { fs, path } = await node();
  try {
    return namedBinaries(JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')));
  } catch {
    return [];
  }
}

/**
 * The folder rule of a save: after `name` (`model.json` or `checkpoint.json`) is replaced, the
 * binary files that its previous version named (`previous`) are removed, except those that the
 * new one or the other description in the folder still names; then the temporary files of this
 * library's files that dead processes left in the folder. Nothing else is touched.
 */
async function removeReplaced(dir: string, name: 'model.json' | 'checkpoint.json', previous: string[], kept: string[]): Promise<void> {
  const { fs, path } = await node();
  const keep = new Set([...kept, ...(await binariesNamedBy(dir, name === 'model.json' ? 'checkpoint.json' : 'model.json'))]);
  for (const file of previous) if (!keep.has(file)) await fs.rm(path.join(dir, file), { force: true });
  await removeOrphanedTemporaries(dir, { names: MODEL_FOLDER_FILES, depth: 0 });
}

/**
 * Runs `write` with the save lock of `dir` held: saves from several processes into one directory
 * take turns, so no save deletes a file that another's committed JSON names.
 */
async function withSaveLock<T>(dir: string, write: () => Promise<T>): Promise<T> {
  const { fs } = await node();
  await fs.mkdir(dir, { recursive: true });
  const lock = await acquireDirectoryLock(dir, '.save.lock', { purpose: 'saving', waitMs: 120_000 });
  try {
    return await write();
  } finally {
    await lock.release();
  }
}

/**
 * Saves a model to `dir`: `model.json` (format version, class names, options, masks, seeds, weight
 * specs, and a SHA-256 checksum over all of that) and a weights file named by its checksum. The
 * weights are written first and `model.json` is renamed into place last, so an interrupted save
 * leaves the previous model loadable. Saves into one directory take turns (a lock file), so no
 * save deletes the weights that another save's committed `model.json` names; {@link loadModel}
 * reads again when a save replaced the model between its reads of `model.json` and of the weights.
 *
 * The folder rule: `dir` may hold other files. A save removes only the weights file that the
 * previous `model.json` named (read before it is replaced; a name of this library's pattern,
 * `weights-<8 hex digits>.bin`, in `dir` itself), unless the new `model.json` or a
 * `checkpoint.json` there names it; and the temporary files of this library's files
 * (`model.json.tmp-<pid>-<n>`, `weights-<hex>.bin.tmp-<pid>-<n>`, ...) whose process is gone.
 * Nothing else in the folder (a `firmware.bin`, a `notes.txt.tmp-1-2`, subfolders) is touched.
 * A failed write throws a {@link FileWriteError} naming the file and the fix.
 */
export async function saveModel(model: Saveable, dir: string, metadata?: Record<string, unknown>, options: SaveOptions = {}): Promise<ModelFile> {
  const { path } = await node();
  const { json, files } = await modelFiles(model, metadata, options);
  return withSaveLock(dir, async () => {
    const previous = await binariesNamedBy(dir, 'model.json');
    await writeFileAtomic(path.join(dir, json.weights.file), files[json.weights.file]);
    await writeFileAtomic(path.join(dir, 'model.json'), files['model.json']);
    await removeReplaced(dir, 'model.json', previous, [json.weights.file]);
    return json;
  });
}

/**
 * Loads a model saved by {@link saveModel}; a missing or corrupt file gets a clear error. When a
 * save into the same directory replaces the model between the reads of `model.json` and of its
 * weights, it reads the new one. A distribution unless `rebuild` says otherwise (a VAE:
 * `loadModel(dir, vaeFromJSON)`).
 */
export async function loadModel(dir: string): Promise<Distribution>;
export async function loadModel<T extends Saveable & { dispose(): void }>(dir: string, rebuild: Rebuild<T>): Promise<T>;
export async function loadModel<T extends Saveable & { dispose(): void }>(dir: string, rebuild?: Rebuild<T>): Promise<T | Distribution> {
  const { fs, path } = await node();
  try {
    await fs.access(dir);
  } catch {
    throw new ModelFileError(dir, 'model directory not found');
  }
  const jsonPath = path.join(dir, 'model.json');
  for (let attempt = 0; ; attempt++) {
    const json = validateModelFile(await readJson(jsonPath, 'model.json'), jsonPath);
    let weights: Buffer;
    try {
      weights = await readFileOrExplain(path.join(dir, json.weights.file), 'weights file');
    } catch (error) {
      // A concurrent save commits a new model.json before it removes the old weights: look again.
      const again = (await namedWeights(jsonPath)) ?? json.weights.file;
      if (attempt < 10 && again !== json.weights.file) continue;
      throw error;
    }
    const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    return rebuild ? deserializeModel<T>(json, bytes, jsonPath, rebuild) : deserializeModel<Distribution>(json, bytes, jsonPath);
  }
}

/** The weights file that `model.json` names now (null when it cannot be read). */
async function namedWeights(jsonPath: string): Promise<string | null> {
  const { fs } = await node();
  try {
    const file = JSON.parse(await fs.readFile(jsonPath, 'utf8'))?.weights?.file;
    return typeof file === 'string' ? file : null;
  } catch {
    return null;
  }
}

/**
 * What a checkpoint keeps of an optimizer so that a resumed run continues it exactly: its step
 * count and its first and second moments, one array per variable in the optimizer's order. Stated
 * here by shape rather than imported, so that reading and writing model files does not depend on
 * an optimizer package: `AdamState` of `@flows/optimizers` has this shape, so `adam.getState()`
 * is saved as it is and a loaded state goes straight to `adam.setState(...)`.
 */
export interface OptimizerState {
  step: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
}

/** A training checkpoint: the model, the optimizer's state, the generator's state, and progress. */
export interface Checkpoint<T = Distribution> {
  model: T;
  optimizerState: OptimizerState;
  randomState: RandomState;
  epoch: number;
  extra: Record<string, unknown>;
}

/**
 * Writes a checkpoint to `dir` atomically: binary files named by checksum first, then one
 * `checkpoint.json` (with a SHA-256 checksum over all of its description) renamed into place, so
 * a run killed mid-write resumes from the previous one. The folder rule is {@link saveModel}'s:
 * a save removes only the weights and optimizer files (`weights-<8 hex>.bin`,
 * `optimizer-<8 hex>.bin`) that the previous `checkpoint.json` named and that neither the new one
 * nor a `model.json` there names, and this library's temporary files of dead processes; nothing
 * else in the folder.
 */
export async function saveCheckpoint(
  dir: string,
  state: { model: Saveable; optimizerState: OptimizerState; randomState: RandomState; epoch: number; extra?: Record<string, unknown> },
): Promise<void> {
  const { path } = await node();
  const { json: modelJson, weights } = await serializeModel(state.model);
  const moments = [...state.optimizerState.firstMoments, ...state.optimizerState.secondMoments];
  const total = moments.reduce((s, m) => s + m.length, 0);
  const packed = new Float32Array(total);
  let offset = 0;
  for (const m of moments) {
    packed.set(m, offset);
    offset += m.length;
  }
  const optimizerBytes = floatBytes(packed);
  const optimizerSum = checksum(optimizerBytes);
  const optimizerFile = `optimizer-${optimizerSum.split('-')[0]}.bin`;
  const file: CheckpointFile = sealDescription({
    format: CHECKPOINT_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    model: modelJson,
    optimizer: { file: optimizerFile, checksum: optimizerSum, step: state.optimizerState.step, sizes: state.optimizerState.firstMoments.map((m) => m.length) },
    random: state.randomState,
    epoch: state.epoch,
    extra: state.extra ?? {},
  } as const);
  await withSaveLock(dir, async () => {
    const previous = await binariesNamedBy(dir, 'checkpoint.json');
    await writeFileAtomic(path.join(dir, modelJson.weights.file), weights);
    await writeFileAtomic(path.join(dir, optimizerFile), optimizerBytes);
    await writeFileAtomic(path.join(dir, 'checkpoint.json'), JSON.stringify(file));
    await removeReplaced(dir, 'checkpoint.json', previous, [modelJson.weights.file, optimizerFile]);
  });
}

/** Whether `dir` holds a checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  const { fs, path } = await node();
  try {
    await fs.access(path.join(dir, 'checkpoint.json'));
    return true;
  } catch {
    return false;
  }
}

/** Reads a checkpoint written by {@link saveCheckpoint} (`rebuild` for models that are not distributions). */
export async function loadCheckpoint<T extends Saveable & { dispose(): void } = Distribution>(
  dir: string,
  rebuild: Rebuild<T> = distributionFromJSON as unknown as Rebuild<T>,
): Promise<Checkpoint<T>> {
  const { path } = await node();
  const jsonPath = path.join(dir, 'checkpoint.json');
  // Names and sizes are checked before any file they name is read.
  const raw = validateCheckpointFile(await readJson(jsonPath, 'checkpoint.json'), jsonPath);
  const weights = await readFileOrExplain(path.join(dir, raw.model.weights.file), 'checkpoint weights');
  const model = deserializeModel<T>(raw.model, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), jsonPath, rebuild);
  let optimizerBytes: Buffer;
  try {
    optimizerBytes = await readFileOrExplain(path.join(dir, raw.optimizer.file), 'optimizer state');
  } catch (error) {
    model.dispose();
    throw error;
  }
  const bytes = new Uint8Array(optimizerBytes.buffer, optimizerBytes.byteOffset, optimizerBytes.byteLength);
  if (checksum(bytes) !== raw.optimizer.checksum) {
    model.dispose();
    throw new ModelFileError(path.join(dir, raw.optimizer.file), 'checksum mismatch: the optimizer state is truncated or corrupt');
  }
  const values = bytesToFloats(bytes, raw.optimizer.file);
  const sizes = raw.optimizer.sizes;
  const firstMoments: Float32Array[] = [];
  const secondMoments: Float32Array[] = [];
  let offset = 0;
  for (const list of [firstMoments, secondMoments]) {
    for (const size of sizes) {
      list.push(values.slice(offset, offset + size));
      offset += size;
    }
  }
  return {
    model,
    optimizerState: { step: raw.optimizer.step, firstMoments, secondMoments },
    randomState: raw.random,
    epoch: raw.epoch,
    extra: raw.extra ?? {},
  };
}
