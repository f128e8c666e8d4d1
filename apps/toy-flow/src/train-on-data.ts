import { Random } from '@flows/core';
import type { Distribution } from '@flows/distributions';
import { UsageError } from '@flows/cli-kit';
import { Adam, type AdamState, type LearningRateSchedule, toyFlow, type ToyFlowKind } from '@flows/flows';
import {
  CNF_FLOW,
  CNF_OBJECTIVES,
  type ContinuousObjective,
  continuousLoss,
  continuousLossName,
  continuousToyFlow,
  DEFAULT_CNF_OBJECTIVE,
} from './continuous-toy-flow.js';
import { writeDataRunResults } from './data-run-results.js';
import { openDataSource } from './open-data-source.js';
import { checkpointSetting, openToyRun } from './resume.js';
import { trainInSegments } from './train-in-segments.js';
import { defaultTestSize, type TrainArguments } from './train-options.js';
import { budgetWarning, trainingBudget } from './training-budget.js';

/** What `toy-flow train --data` runs with besides its options. */
export interface DataRunContext {
  /** The backend that runs, for metrics.json. */
  backend: string;
  /** The learning rate of a run of `steps` optimizer steps (the peak and schedule the options name). */
  learningRateFor(steps: number): number | LearningRateSchedule;
  /** `performance.now()` when the command started. */
  started: number;
}

/**
 * `toy-flow train --data`: density estimation on a toy or a CSV file (`open-data-source.ts`). Builds
 * the toy model (or resumes it from `<out>/checkpoint`), trains it in checkpointed segments
 * (`train-in-segments.ts`), then writes the model, metrics.json and the pictures (`data-run-results.ts`).
 */
export async function trainOnData(o: TrainArguments & { data: string }, context: DataRunContext): Promise<void> {
  const seed = o.seed;
  const batchSize = o['batch-size'];
  const source = await openDataSource(o.data, {
    conditional: Boolean(o.conditional),
    trainSize: o['train-size'],
    testSize: o['test-size'] ?? defaultTestSize(o.flow),
    seed,
    standardize: !o['no-standardize'],
    keepOutliers: Boolean(o['keep-outliers']),
  });
  const continuous = o.flow === CNF_FLOW;
  // Without --objective a resumed run keeps its checkpoint's (a fresh one trains by flow matching).
  const saved = o.objective === undefined && o.resume ? await checkpointSetting(o.out, 'objective') : undefined;
  const objective: ContinuousObjective =
    o.objective ?? (CNF_OBJECTIVES.includes(saved as ContinuousObjective) ? (saved as ContinuousObjective) : DEFAULT_CNF_OBJECTIVE);
  const budget = trainingBudget({ epochs: o.epochs, steps: o.steps, size: source.train.size, batchSize, fresh: source.fresh });
  const { stepsPerEpoch, steps: totalSteps } = budget;
  // A run too short to converge is said to be so before it starts (and recorded in metrics.json).
  const warning = budgetWarning(budget, source.fresh ? `--train-size ${source.train.size}` : `${source.train.size} training rows`, batchSize);
  if (warning && !o.quiet) console.error(`warning: ${warning}`);
  const settings = {
    flow: o.flow,
    layers: o.layers,
    hidden: o.hidden,
    mask: o.mask,
    scaleTanh: !o['no-tanh'],
    epochs: o.epochs ?? null,
    steps: totalSteps,
    trainSize: source.target ? o['train-size'] : source.train.size,
    batchSize,
    learningRate: o.lr,
    schedule: o.schedule,
    clipNorm: o['clip-norm'] ?? null,
    conditional: Boolean(o.conditional),
    standardized: source.standardization !== null,
    seed,
    // A continuous flow's objective (the others have one): saved, so that --resume keeps it and refuses another.
    ...(continuous ? { objective } : {}),
  };
  if (o.mask === 'checkerboard' && source.size === 2)
    throw new UsageError("--mask checkerboard needs image-shaped data (a square number of dimensions > 2); use 'alternating' or 'half' for 2-D points");
  // A continuous flow's checkpoint from before --objective trained by flow matching.
  const olderDefaults = continuous ? { objective: DEFAULT_CNF_OBJECTIVE } : {};
  const training = await openToyRun<Distribution>(o.out, { ...settings, dataset: source.name }, Boolean(o.resume), ['epochs', 'steps'], olderDefaults);
  const checkpoint = training.resumed;
  const model =
    checkpoint?.model ??
    (continuous
      ? continuousToyFlow({ size: source.size, hidden: o.hidden, seed })
      : toyFlow({
          flow: o.flow as ToyFlowKind,
          size: source.size,
          layers: o.layers,
          hidden: o.hidden,
          mask: o.mask,
          scaleTanh: !o['no-tanh'],
          bins: o.bins,
          bound: o.bound,
          seed,
          contextSize: source.labels || undefined,
          standardization: source.standardization,
        }));
  const random = checkpoint ? Random.fromState(checkpoint.randomState) : new Random(seed + 17);
  const restored: AdamState | null = checkpoint?.optimizerState ?? null;
  if (restored) console.error(`resuming after step ${restored.step} of ${totalSteps}`);
  const optimizer = new Adam(model.trainableVariables, { learningRate: context.learningRateFor(totalSteps), clipNorm: o['clip-norm'] });
  if (restored) optimizer.setState(restored);
  const { seconds: trainSeconds, loss } = await trainInSegments({
    model,
    optimizer,
    random,
    run: training,
    data: source.train,
    fresh: source.fresh,
    totalSteps,
    stepsPerEpoch,
    batchSize,
    checkpointEvery: o['checkpoint-every'],
    // A continuous flow learns by its objective: flow matching (its noise and times from the run's generator) or likelihood.
    ...(continuous ? { lossFunction: continuousLoss(objective, random) } : {}),
    // A diverging run's advice names this app's flags; tanh-bounded scales only when --no-tanh turned them off.
    settingNames: { learningRate: '--lr', clipNorm: '--clip-norm', ...(o['no-tanh'] ? { scaleTanh: 'leave out --no-tanh' } : {}) },
    quiet: Boolean(o.quiet),
    seconds: training.saved<number>('seconds') ?? 0,
    loss: training.saved<number>('loss') ?? Number.NaN,
  });
  const steps = optimizer.step;
  optimizer.dispose();
  await writeDataRunResults({
    out: o.out,
    source,
    model,
    settings,
    steps,
    loss,
    trainSeconds,
    batchSize,
    testSize: o['test-size'] ?? defaultTestSize(o.flow),
    seed,
    backend: context.backend,
    warning,
    history: training.rows,
    lossName: continuous ? continuousLossName(objective) : 'negative log-likelihood',
    started: context.started,
  });
  source.dispose();
  model.dispose();
}
