import type * as tf from '@tensorflow/tfjs-core';
import { assignWeights, importNodeBuiltin, packWeights, type RandomState, type WeightSpec } from '@flows/core';
import { type Distribution, distributionFromJSON, type SerializedDistribution } from '@flows/distributions';
import { acquireDirectoryLock, removeOrphanedTemporaries } from './directory-lock.js';
import type { AdamState } from '../optimizers/adam.js';

/** The current version of the files this module writes. */
export const MODEL_FORMAT_VERSION = 1;
const MODEL_FORMAT = 'flows-model';
const CHECKPOINT_FORMAT = 'flows-checkpoint';

/** `model.json`: the structure as JSON, and where the weights are. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  model: SerializedDistribution;
  weights: { file: string; specs: WeightSpec[]; checksum: string };
  metadata?: Record<string, unknown>;
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

/** The model's JSON description and its weights as bytes (environment neutral). */
export async function serializeModel(model: Saveable, metadata?: Record<string, unknown>): Promise<{ json: ModelFile; weights: Uint8Array }> {
  const { specs, data } = await packWeights(model.variables);
  const weights = floatBytes(data);
  const sum = checksum(weights);
  return {
    json: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: model.toJSON(),
      weights: { file: `weights-${sum.split('-')[0]}.bin`, specs, checksum: sum },
      ...(metadata ? { metadata } : {}),
    },
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
): Promise<{ json: ModelFile; files: Record<string, string | Uint8Array> }> {
  const { json, weights } = await serializeModel(model, metadata);
  return { json, files: { 'model.json': JSON.stringify(json, null, 1), [json.weights.file]: weights } };
}

/**
 * Rebuilds a model from the files {@link saveModel} writes, given by name (for example files that
 * a user dropped on a page): `model.json` as text or bytes, and the weights file it names. A
 * missing file, JSON that does not parse, or weights that fail their checksum throw a
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

function checkFormatVersion(version: unknown, where: string): void {
  if (typeof version !== 'number') {
    throw new ModelFileError(
      where,
      `formatVersion must be a number, found ${version === undefined ? 'none' : `the ${typeof version} ${JSON.stringify(version)}`}; the file was edited or comes from elsewhere`,
    );
  }
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      where,
      version > MODEL_FORMAT_VERSION
        ? `has format version ${version}, newer than this version of @flows/flows reads (${MODEL_FORMAT_VERSION}): update @flows/flows`
        : `has format version ${version}; this version of @flows/flows reads version ${MODEL_FORMAT_VERSION}`,
    );
  }
}

/** Checks a parsed `model.json` and says precisely what is wrong. */
export function validateModelFile(json: unknown, where: string): ModelFile {
  if (typeof json !== 'object' || json === null) throw new ModelFileError(where, 'is not a JSON object');
  const file = json as Partial<ModelFile>;
  if (file.format !== MODEL_FORMAT) throw new ModelFileError(where, `is not a flows model file (format '${String(file.format)}', expected '${MODEL_FORMAT}')`);
  checkFormatVersion(file.formatVersion, where);
  if (!file.model || !file.weights || typeof file.weights.file !== 'string' || !Array.isArray(file.weights.specs)) {
    throw new ModelFileError(where, "lacks 'model' or 'weights' entries");
  }
  if (typeof file.weights.checksum !== 'string' || !/^[0-9a-f]{8}-\d+$/.test(file.weights.checksum)) {
    throw new ModelFileError(
      where,
      `has no valid weights checksum (found ${JSON.stringify(file.weights.checksum)}): the file was edited or was not written by saveModel, so its weights cannot be verified`,
    );
  }
  return file as ModelFile;
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
    const values = bytesToFloats(weights, file.weights.file);
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
  const json = validateModelFile(await response.json(), `${base}model.json`);
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

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export async function writeFileAtomic(filePath: string, data: Uint8Array | string): Promise<void> {
  const { fs, path } = await node();
  await fs.mkdir(path.dirname(filePath), { recursive: true });
  const temporary = `${filePath}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, filePath);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
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

/** Deletes `*.bin` files in `dir` that `keep` does not name (left over from earlier saves). */
async function removeStaleBinaries(dir: string, keep: string[]): Promise<void> {
  const { fs, path } = await node();
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith('.bin') && !keep.includes(name)) await fs.rm(path.join(dir, name), { force: true });
  }
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
 * Saves a model to `dir`: `model.json` (format version, class names, options, masks, seeds) and
 * a weights file named by its checksum. The weights are written first and `model.json` is
 * renamed into place last, so an interrupted save leaves the previous model loadable. Saves into
 * one directory take turns (a lock file), so no save deletes the weights that another save's
 * committed `model.json` names; {@link loadModel} reads again when a save replaced the model
 * between its reads of `model.json` and of the weights.
 */
export async function saveModel(model: Saveable, dir: string, metadata?: Record<string, unknown>): Promise<ModelFile> {
  const { path } = await node();
  const { json, files } = await modelFiles(model, metadata);
  return withSaveLock(dir, async () => {
    await writeFileAtomic(path.join(dir, json.weights.file), files[json.weights.file]);
    await writeFileAtomic(path.join(dir, 'model.json'), files['model.json']);
    await removeStaleBinaries(dir, [json.weights.file]);
    await removeOrphanedTemporaries(dir);
    return json;
  });
}

/**
 * Loads a model saved by {@link saveModel}; a missing or corrupt file gets a clear error. When a
 * save into the same directory replaces the model between the reads of `model.json` and of its
 * weights, it reads the new one.
 */
export async function loadModel(dir: string): Promise<Distribution> {
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
    return deserializeModel<Distribution>(json, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), jsonPath);
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

/** A training checkpoint: the model, the optimizer's state, the generator's state, and progress. */
export interface Checkpoint<T = Distribution> {
  model: T;
  optimizerState: AdamState;
  randomState: RandomState;
  epoch: number;
  extra: Record<string, unknown>;
}

interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  model: ModelFile;
  optimizer: { file: string; checksum: string; step: number; sizes: number[] };
  random: RandomState;
  epoch: number;
  extra: Record<string, unknown>;
}

/**
 * Writes a checkpoint to `dir` atomically: binary files named by checksum first, then one
 * `checkpoint.json` renamed into place, so a run killed mid-write resumes from the previous one.
 */
export async function saveCheckpoint(
  dir: string,
  state: { model: Saveable; optimizerState: AdamState; randomState: RandomState; epoch: number; extra?: Record<string, unknown> },
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
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    model: modelJson,
    optimizer: { file: optimizerFile, checksum: optimizerSum, step: state.optimizerState.step, sizes: state.optimizerState.firstMoments.map((m) => m.length) },
    random: state.randomState,
    epoch: state.epoch,
    extra: state.extra ?? {},
  };
  await withSaveLock(dir, async () => {
    await writeFileAtomic(path.join(dir, modelJson.weights.file), weights);
    await writeFileAtomic(path.join(dir, optimizerFile), optimizerBytes);
    await writeFileAtomic(path.join(dir, 'checkpoint.json'), JSON.stringify(file));
    await removeStaleBinaries(dir, [modelJson.weights.file, optimizerFile]);
    await removeOrphanedTemporaries(dir);
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
  const raw = (await readJson(jsonPath, 'checkpoint.json')) as Partial<CheckpointFile>;
  if (raw.format !== CHECKPOINT_FORMAT) throw new ModelFileError(jsonPath, `is not a flows checkpoint (format '${String(raw.format)}')`);
  checkFormatVersion(raw.formatVersion, jsonPath);
  if (!raw.model || !raw.optimizer || !raw.random || typeof raw.epoch !== 'number') throw new ModelFileError(jsonPath, 'is incomplete');
  const weights = await readFileOrExplain(path.join(dir, raw.model.weights.file), 'checkpoint weights');
  const model = deserializeModel<T>(raw.model, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), jsonPath, rebuild);
  const optimizerBytes = await readFileOrExplain(path.join(dir, raw.optimizer.file), 'optimizer state');
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
