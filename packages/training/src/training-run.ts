import { importNodeBuiltin, type Random } from '@flows/core';
import type { Distribution } from '@flows/distributions';
import { type Checkpoint, hasCheckpoint, loadCheckpoint, loadModel, type Rebuild, type Saveable, saveCheckpoint, saveModel } from '@flows/model-files';
import type { Adam } from '@flows/optimizers';

/** A resume that cannot go on: no checkpoint, or settings that differ from the checkpointed run's (listed in `differences`). */
export class TrainingRunError extends Error {
  constructor(
    message: string,
    readonly differences: readonly string[] = [],
  ) {
    super(message);
    this.name = 'TrainingRunError';
  }
}

/** Options of {@link TrainingRun.open}. */
export interface TrainingRunOptions<Model, Settings extends Record<string, unknown>> {
  /** Where the run keeps its checkpoint (`<directory>/checkpoint`) and its best model (`<directory>/best-model`). */
  directory: string;
  /** The run's settings: saved with every checkpoint, and compared with the checkpoint's on resume. */
  settings: Settings;
  /**
   * `true`: continue from the checkpoint, which must exist; `'if-present'`: continue when there is
   * one, else start afresh; `false` (default): start afresh.
   */
  resume?: boolean | 'if-present';
  /** Settings a resumed run may change (for example the number of epochs it runs to). */
  mayChange?: readonly (keyof Settings & string)[];
  /** How each setting is named in messages (for example its command-line option). */
  settingNames?: Partial<Record<keyof Settings & string, string>>;
  /**
   * What a resumed run does when other settings differ: `'refuse'` (default) throws a
   * {@link TrainingRunError} naming each; `'keep-checkpoint'` continues with the checkpoint's
   * settings for the keys in `checkpointWins` and lists the differences in `settingChanges`.
   */
  onSettingChanges?: 'refuse' | 'keep-checkpoint';
  /** With `'keep-checkpoint'`: the settings the checkpoint's model fixes (architecture, preprocessing). */
  checkpointWins?: readonly (keyof Settings & string)[];
  /** Name of the list of per-epoch (or per-report) rows kept in the checkpoint (default `rows`). */
  rowsKey?: string;
  /** Rebuilds the model of a checkpoint (default: the distribution registry). */
  rebuild?: Rebuild<Model>;
}

/** The settings that differ between a checkpointed run and this one, one phrase each: `--layers 3 (checkpoint: 2)`. */
export function settingDifferences(
  saved: Record<string, unknown>,
  now: Record<string, unknown>,
  options: { ignore?: readonly string[]; names?: Record<string, string | undefined> } = {},
): string[] {
  const show = (value: unknown) => (Array.isArray(value) ? value.join(',') : value === null || value === undefined ? 'unset' : String(value));
  return Object.keys({ ...saved, ...now })
    .filter((key) => !(options.ignore ?? []).includes(key) && JSON.stringify(saved[key] ?? null) !== JSON.stringify(now[key] ?? null))
    .map((key) => `${options.names?.[key] ?? key} ${show(now[key])} (checkpoint: ${show(saved[key])})`);
}

/**
 * One checkpointed training run, the part every app shares: resuming (the checkpoint's model,
 * optimizer and generator state, with the settings checked against the run's), the rows of
 * metrics kept across resumes, the best model kept by a score (saved before the checkpoint, so a
 * run killed between the two redoes the epoch and saves it again), patience-based early stopping,
 * and atomic checkpoints (every file is written to a temporary name, then renamed).
 */
export class TrainingRun<
  Model extends Saveable & { dispose(): void } = Distribution,
  Settings extends Record<string, unknown> = Record<string, unknown>,
  Row = Record<string, unknown>,
> {
  readonly checkpointDirectory: string;
  readonly bestModelDirectory: string;
  /** The checkpoint this run continues from, or null for a fresh run. */
  readonly resumed: Checkpoint<Model> | null;
  /** With `onSettingChanges: 'keep-checkpoint'`: the settings that differed, one phrase each. */
  readonly settingChanges: readonly string[];
  /** The settings in force: the run's, with the checkpoint's for `checkpointWins` after a permitted change. */
  readonly settings: Settings;
  /** The rows recorded so far, those of earlier sessions included. */
  readonly rows: Row[];
  private readonly rowsKey: string;

  private constructor(
    directory: string,
    resumed: Checkpoint<Model> | null,
    settings: Settings,
    settingChanges: string[],
    rowsKey: string,
    join: (...parts: string[]) => string,
  ) {
    this.checkpointDirectory = join(directory, 'checkpoint');
    this.bestModelDirectory = join(directory, 'best-model');
    this.resumed = resumed;
    this.settings = settings;
    this.settingChanges = settingChanges;
    this.rowsKey = rowsKey;
    const saved = resumed?.extra[rowsKey];
    this.rows = Array.isArray(saved) ? [...(saved as Row[])] : [];
  }

  /** Opens a run: fresh, or resumed from the checkpoint in `<directory>/checkpoint` (see {@link TrainingRunOptions}). */
  static async open<
    Model extends Saveable & { dispose(): void } = Distribution,
    Settings extends Record<string, unknown> = Record<string, unknown>,
    Row = Record<string, unknown>,
  >(options: TrainingRunOptions<Model, Settings>): Promise<TrainingRun<Model, Settings, Row>> {
    const { join } = await importNodeBuiltin<typeof import('node:path')>('path', 'TrainingRun');
    const checkpointDirectory = join(options.directory, 'checkpoint');
    const rowsKey = options.rowsKey ?? 'rows';
    const wanted = options.resume ?? false;
    if (wanted === false || (wanted === 'if-present' && !(await hasCheckpoint(checkpointDirectory)))) {
      return new TrainingRun<Model, Settings, Row>(options.directory, null, options.settings, [], rowsKey, join);
    }
    if (!(await hasCheckpoint(checkpointDirectory))) throw new TrainingRunError(`no checkpoint in ${checkpointDirectory}`);
    const checkpoint = options.rebuild
      ? await loadCheckpoint<Model>(checkpointDirectory, options.rebuild)
      : ((await loadCheckpoint(checkpointDirectory)) as unknown as Checkpoint<Model>);
    const saved = (checkpoint.extra.settings ?? {}) as Record<string, unknown>;
    const differences = settingDifferences(saved, options.settings, { ignore: options.mayChange, names: options.settingNames as Record<string, string> });
    let settings = options.settings;
    if (differences.length > 0) {
      if ((options.onSettingChanges ?? 'refuse') === 'refuse') {
        checkpoint.model.dispose();
        throw new TrainingRunError(`options differ from the checkpointed run: ${differences.join(', ')}`, differences);
      }
      settings = { ...settings, ...Object.fromEntries((options.checkpointWins ?? []).map((key) => [key, saved[key]])) };
    }
    return new TrainingRun<Model, Settings, Row>(options.directory, checkpoint, settings, differences, rowsKey, join);
  }

  /** The epoch the checkpoint ended (0 for a fresh run). */
  get startEpoch(): number {
    return this.resumed?.epoch ?? 0;
  }

  /** A value kept in the checkpoint's `extra` by an earlier session, if any. */
  saved<T>(key: string): T | undefined {
    return this.resumed?.extra[key] as T | undefined;
  }

  /** The row with the lowest score (rows without one are skipped), or undefined. */
  best(score: (row: Row) => number | undefined): Row | undefined {
    let best: Row | undefined;
    let bestScore = Infinity;
    for (const row of this.rows) {
      const value = score(row);
      if (value !== undefined && value < bestScore) {
        best = row;
        bestScore = value;
      }
    }
    return best;
  }

  /**
   * Adds a row. With a `score`, a row that beats every earlier one saves `model` (with `metadata`)
   * as the best model, before the checkpoint; returns whether it did.
   */
  async record(row: Row, keep?: { model: Model; score: (row: Row) => number | undefined; metadata?: Record<string, unknown> }): Promise<boolean> {
    const previous = keep ? this.best(keep.score) : undefined;
    this.rows.push(row);
    if (!keep) return false;
    const value = keep.score(row);
    if (value === undefined || (previous !== undefined && !(value < (keep.score(previous) as number)))) return false;
    await saveModel(keep.model, this.bestModelDirectory, keep.metadata);
    return true;
  }

  /** Whether `patience` epochs (rows) have passed since the best score: time to stop early. */
  patienceExhausted(score: (row: Row) => number | undefined, patience: number | undefined): boolean {
    if (patience === undefined) return false;
    const best = this.best(score);
    return best !== undefined && this.rows.length - 1 - this.rows.indexOf(best) >= patience;
  }

  /** The best model saved by {@link record}, loaded again (fresh variables; a distribution). */
  async loadBestModel(): Promise<Distribution> {
    return loadModel(this.bestModelDirectory);
  }

  /**
   * Writes the checkpoint atomically: the model, the optimizer's state, the generator's state, the
   * epoch, the settings, the rows and `extra` (more state to restore, such as a second generator).
   */
  async checkpoint(state: { model: Model; optimizer: Adam; random: Random; epoch: number; extra?: Record<string, unknown> }): Promise<void> {
    await saveCheckpoint(this.checkpointDirectory, {
      model: state.model,
      optimizerState: await state.optimizer.readState(),
      randomState: state.random.getState(),
      epoch: state.epoch,
      extra: { ...state.extra, settings: this.settings, [this.rowsKey]: this.rows },
    });
  }
}
