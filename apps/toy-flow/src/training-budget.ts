import { UsageError } from '@flows/cli-kit';

/**
 * Optimizer steps a run takes when neither --epochs nor --steps is given: what the built-in toys
 * take by default (one epoch of 3 000 000 fresh samples at batch 1000), which reaches the README's
 * figures. A CSV file gets the same number of steps, however few rows it has: an epoch of 4 500
 * training rows at batch 1000 is 5 steps (test NLL 2.62 nats on a 5 000-point banana whose
 * entropy is 2.14; 100 steps reached 2.14, 500 steps 2.13, 3000 steps 2.14: no worse for the
 * longer run on so few rows).
 */
export const DEFAULT_STEPS = 3000;

/**
 * Fewer steps than this leave a model likely far from converged: a warning says so. Easy 2-D
 * data (the banana above) converge in about 100 steps, the toys' README figures take 3000. The
 * schedule's warm-up (a twentieth of the steps, at most 200) and its cosine decay both scale with
 * the run, so a short run is short in every phase, not only the warm-up.
 */
export const FEW_STEPS = 100;

/** How a run's length was set and how many optimizer steps it takes. */
export interface TrainingBudget {
  steps: number;
  stepsPerEpoch: number;
  /** What set the number, for messages: `--steps`, `--epochs` or the default. */
  from: 'steps' | 'epochs' | 'default';
}

/**
 * The optimizer steps of a run. `--steps N` is N; `--epochs E` is E passes over the data; with
 * neither, fresh-sample data (the toys) take one epoch of `--train-size` samples, as before, and
 * a fixed data set (a CSV file) takes {@link DEFAULT_STEPS} steps, or one epoch if that is more,
 * so that the default does not depend on how many rows the file has.
 */
export function trainingBudget(options: { epochs?: number; steps?: number; size: number; batchSize: number; fresh: boolean }): TrainingBudget {
  const stepsPerEpoch = Math.ceil(options.size / options.batchSize);
  if (options.epochs !== undefined && options.steps !== undefined)
    throw new UsageError('give --epochs (passes over the data) or --steps (optimizer steps), not both');
  if (options.steps !== undefined) return { steps: options.steps, stepsPerEpoch, from: 'steps' };
  if (options.epochs !== undefined) return { steps: options.epochs * stepsPerEpoch, stepsPerEpoch, from: 'epochs' };
  return { steps: options.fresh ? stepsPerEpoch : Math.max(DEFAULT_STEPS, stepsPerEpoch), stepsPerEpoch, from: 'default' };
}

/**
 * A warning for a run too short to converge, naming why it is short and the flags that fix it,
 * or null. `rows` describes an epoch for the message (`4500 training rows`, `--train-size 20000`).
 */
export function budgetWarning(budget: TrainingBudget, epochDescription: string, batchSize: number): string | null {
  if (budget.steps >= FEW_STEPS) return null;
  const perEpoch = Math.ceil(DEFAULT_STEPS / budget.stepsPerEpoch);
  const why =
    budget.from === 'steps'
      ? `--steps ${budget.steps}`
      : `${epochDescription} at --batch-size ${batchSize} make ${budget.stepsPerEpoch} step${budget.stepsPerEpoch === 1 ? '' : 's'} an epoch`;
  return (
    `this run takes only ${budget.steps} optimizer step${budget.steps === 1 ? '' : 's'} (${why}): too few for the model to converge (fewer than ${FEW_STEPS}; the default is ${DEFAULT_STEPS}). ` +
    `Pass --steps ${DEFAULT_STEPS} or --epochs ${perEpoch}${budget.from === 'epochs' ? ', or leave out --epochs for the default' : ''}`
  );
}
