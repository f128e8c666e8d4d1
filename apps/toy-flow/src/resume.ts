import { UsageError, settingDifferences } from '@flows/cli-kit';
import type { TransformedDistribution } from '@flows/distributions';
import { type Checkpoint, hasCheckpoint, loadCheckpoint } from '@flows/flows';
import type { HistoryRow } from './pictures.js';

/**
 * The checkpoint a `--resume` continues from, refused (naming each option) when the run's settings
 * differ from the checkpointed ones, apart from `ignore` (what a resumed run may extend).
 */
export async function resumableCheckpoint(
  checkpointDir: string,
  settings: Record<string, unknown>,
  ignore: readonly string[],
): Promise<Checkpoint<TransformedDistribution>> {
  if (!(await hasCheckpoint(checkpointDir))) throw new UsageError(`--resume: no checkpoint in ${checkpointDir}`);
  const checkpoint = (await loadCheckpoint(checkpointDir)) as Checkpoint<TransformedDistribution>;
  const differences = settingDifferences((checkpoint.extra.settings ?? {}) as Record<string, unknown>, settings, { ignore });
  if (differences.length > 0) {
    checkpoint.model.dispose();
    throw new UsageError(`--resume: options differ from the checkpointed run: ${differences.join(', ')}; give them as they were`);
  }
  return checkpoint;
}

/** The training history kept in a checkpoint's `extra` (empty for a checkpoint written before it was kept). */
export function savedHistory(extra: Record<string, unknown>): HistoryRow[] {
  return Array.isArray(extra.history) ? (extra.history as HistoryRow[]) : [];
}
