import { UsageError } from '@flows/cli-kit';
import type { Distribution, TransformedDistribution } from '@flows/distributions';
import { TrainingRun, TrainingRunError } from '@flows/flows';
import type { HistoryRow } from './pictures.js';

/**
 * The checkpointed run in `<out>`: fresh, or with `resume` continued from `<out>/checkpoint`,
 * refused (naming each option) when the run's settings differ from the checkpointed ones apart
 * from `mayChange` (what a resumed run may extend). The loss history is kept as its rows. `Model`
 * is what the run trains (a flow of `toyFlow`, or a continuous flow with `--flow cnf`).
 */
export async function openToyRun<Model extends Distribution = TransformedDistribution>(
  out: string,
  settings: Record<string, unknown>,
  resume: boolean,
  mayChange: readonly string[],
): Promise<TrainingRun<Model, Record<string, unknown>, HistoryRow>> {
  try {
    return await TrainingRun.open<Model, Record<string, unknown>, HistoryRow>({
      directory: out,
      settings,
      resume,
      mayChange,
      rowsKey: 'history',
    });
  } catch (error) {
    if (!(error instanceof TrainingRunError)) throw error;
    throw new UsageError(`--resume: ${error.message}${error.differences.length > 0 ? '; give them as they were' : ''}`);
  }
}
