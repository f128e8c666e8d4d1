import { UsageError } from '@flows/cli-kit';
import type { Distribution, TransformedDistribution } from '@flows/distributions';
import { settingDifferences, TrainingRun, TrainingRunError } from '@flows/flows';
import type { HistoryRow } from './pictures.js';

/**
 * The checkpointed run in `<out>`: fresh, or with `resume` continued from `<out>/checkpoint`,
 * refused (naming each option) when the run's settings differ from the checkpointed ones apart
 * from `mayChange` (what a resumed run may extend). `olderDefaults` are the values of settings
 * that a checkpoint written before they existed lacks (it ran as they say), so that such a
 * checkpoint resumes with them and is refused another value by name. The loss history is kept as
 * its rows. `Model` is what the run trains (a flow of `toyFlow`, or a continuous flow with `--flow cnf`).
 */
export async function openToyRun<Model extends Distribution = TransformedDistribution>(
  out: string,
  settings: Record<string, unknown>,
  resume: boolean,
  mayChange: readonly string[],
  olderDefaults: Record<string, unknown> = {},
): Promise<TrainingRun<Model, Record<string, unknown>, HistoryRow>> {
  let run: TrainingRun<Model, Record<string, unknown>, HistoryRow>;
  try {
    // The settings are compared below, where a checkpoint's missing ones take their older defaults.
    run = await TrainingRun.open<Model, Record<string, unknown>, HistoryRow>({
      directory: out,
      settings,
      resume,
      mayChange,
      rowsKey: 'history',
      onSettingChanges: 'keep-checkpoint',
    });
  } catch (error) {
    if (!(error instanceof TrainingRunError)) throw error;
    throw new UsageError(`--resume: ${error.message}`);
  }
  const checkpoint = run.resumed;
  if (checkpoint) {
    const saved = { ...olderDefaults, ...((checkpoint.extra.settings ?? {}) as Record<string, unknown>) };
    const differences = settingDifferences(saved, settings, { ignore: mayChange });
    if (differences.length > 0) {
      checkpoint.model.dispose();
      throw new UsageError(`--resume: options differ from the checkpointed run: ${differences.join(', ')}; give them as they were`);
    }
  }
  return run;
}

/**
 * One setting as `<out>/checkpoint/checkpoint.json` records it, read before the run is opened: a
 * resumed run keeps what the checkpoint says for an option the command leaves out (`--objective`).
 * Undefined when there is no readable checkpoint or it lacks the setting; the value is the
 * caller's to check, and `openToyRun` then compares the run's settings with the checkpoint's
 * properly (its checksum verified), so a file that says one thing here and another there is refused.
 */
export async function checkpointSetting(out: string, key: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    const file = JSON.parse(await readFile(join(out, 'checkpoint', 'checkpoint.json'), 'utf8')) as { extra?: { settings?: Record<string, unknown> } };
    return file?.extra?.settings?.[key];
  } catch {
    return undefined;
  }
}
