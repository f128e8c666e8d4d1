import { Random } from '@flows/core';
import { WeightAverage, type WeightAverageState } from '@flows/continuous';
import type { Distribution } from '@flows/distributions';
import { UsageError } from '@flows/cli-kit';
import { Adam, type AdamState, type LearningRateSchedule, toyFlow, type ToyFlowKind } from '@flows/flows';
import {
  averageAfterEachStep,
  baseStandardization,
  CNF_FLOW,
  CNF_OBJECTIVES,
  CNF_POSITION_FEATURES,
  CNF_TIME_SAMPLINGS,
  type CnfTimeSampling,
  type ContinuousObjective,
  cnfTimeSampling,
  continuousLoss,
  continuousLossName,
  continuousToyFlow,
  DEFAULT_CNF_EMA,
  DEFAULT_CNF_OBJECTIVE,
  DEFAULT_CNF_TIME_SAMPLING,
  DEFAULT_CNF_TIME_SCALE,
} from './continuous-toy-flow.js';
import { writeDataRunResults } from './data-run-results.js';
import { openDataSource } from './open-data-source.js';
import { checkpointSettings, openToyRun } from './resume.js';
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
  const savedSettings = o.resume ? await checkpointSettings(o.out) : undefined;
  const saved = o.objective === undefined ? savedSettings?.objective : undefined;
  const objective: ContinuousObjective =
    o.objective ?? (CNF_OBJECTIVES.includes(saved as ContinuousObjective) ? (saved as ContinuousObjective) : DEFAULT_CNF_OBJECTIVE);
  const recipe = continuousRecipe(o, savedSettings, objective);
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
    // And its recipe (toy-kl.mjs's), kept and compared on --resume as the rest.
    ...(continuous ? recipe : {}),
  };
  if (o.mask === 'checkerboard' && source.size === 2)
    throw new UsageError("--mask checkerboard needs image-shaped data (a square number of dimensions > 2); use 'alternating' or 'half' for 2-D points");
  // A continuous flow's checkpoint from before --objective trained by flow matching.
  // Nor the recipe's settings: it ran with none of them.
  const olderDefaults = continuous ? { objective: DEFAULT_CNF_OBJECTIVE, ...olderRecipe(objective) } : {};
  const training = await openToyRun<Distribution>(o.out, { ...settings, dataset: source.name }, Boolean(o.resume), ['epochs', 'steps'], olderDefaults);
  const checkpoint = training.resumed;
  const model =
    checkpoint?.model ??
    (continuous
      ? continuousToyFlow({
          size: source.size,
          hidden: o.hidden,
          seed,
          positionFeatures: recipe.positionFeatures,
          base: recipe.standardBase && source.target ? baseStandardization(source.target, seed) : null,
        })
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
  // --ema: the average follows each step; a resumed run continues the checkpoint's (its count sets the warm-up).
  const average = continuous && recipe.ema > 0 ? new WeightAverage(model.trainableVariables, { decay: recipe.ema }) : null;
  if (average) {
    const state = training.saved<WeightAverageState>('weightAverage');
    if (checkpoint && state === undefined)
      throw new UsageError(`--resume: ${o.out}/checkpoint has no average of the weights for --ema ${recipe.ema}; it is damaged`);
    if (state !== undefined) {
      try {
        average.setState(state);
      } catch (error) {
        throw new UsageError(`--resume: ${o.out}/checkpoint's average of the weights does not fit the model (${(error as Error).message}); it is damaged`);
      }
    }
    averageAfterEachStep(optimizer, average);
  }
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
    ...(continuous
      ? {
          lossFunction: continuousLoss(
            objective,
            random,
            recipe.timeSampling === null ? 'uniform' : cnfTimeSampling(recipe.timeSampling, recipe.timeScale ?? 1),
          ),
        }
      : {}),
    // The checkpoint holds the live weights (the model) and the average, each needed to resume exactly.
    ...(average ? { checkpointExtra: async () => ({ weightAverage: await weightAverageJson(average) }) } : {}),
    // A diverging run's advice names this app's flags; tanh-bounded scales only when --no-tanh turned them off.
    settingNames: { learningRate: '--lr', clipNorm: '--clip-norm', ...(o['no-tanh'] ? { scaleTanh: 'leave out --no-tanh' } : {}) },
    quiet: Boolean(o.quiet),
    seconds: training.saved<number>('seconds') ?? 0,
    loss: training.saved<number>('loss') ?? Number.NaN,
  });
  const steps = optimizer.step;
  optimizer.dispose();
  // What is evaluated and saved in model/ is the average (the last checkpoint kept the live weights too).
  if (average) {
    average.copyToVariables();
    average.dispose();
  }
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

/** The settings of a continuous flow's recipe (`toy-kl.mjs`'s), as `settings` records them. */
export interface ContinuousRecipe {
  positionFeatures: number;
  /** Null under `--objective likelihood`, which draws no times. */
  timeSampling: CnfTimeSampling | null;
  /** Null with uniform times (and under likelihood). */
  timeScale: number | null;
  ema: number;
  /** The base a fixed normal of the toy's moments (`--no-standardize`: the standard normal). */
  standardBase: boolean;
}

/** What a cnf checkpoint from before the recipe's options ran with: none of it (uniform times by flow matching; none by likelihood). */
function olderRecipe(objective: ContinuousObjective): ContinuousRecipe {
  return { positionFeatures: 0, timeSampling: objective === 'likelihood' ? null : 'uniform', timeScale: null, ema: 0, standardBase: false };
}

/**
 * The recipe of a `--flow cnf` run: each option as given; else, resuming, the checkpoint's (one
 * written before the option lacks it and ran without it, {@link olderRecipe}); else the defaults.
 * Anything given that differs from the checkpoint is refused by `openToyRun`, by name.
 */
function continuousRecipe(o: TrainArguments, saved: Record<string, unknown> | undefined, objective: ContinuousObjective): ContinuousRecipe {
  const older = olderRecipe(objective);
  const fallback = <T>(key: keyof ContinuousRecipe, fresh: T): T => (saved ? ((key in saved ? saved[key] : older[key]) as T) : fresh);
  const standardBase = o['no-standardize'] ? false : fallback<boolean>('standardBase', true);
  const positionFeatures = o['position-features'] ?? fallback<number>('positionFeatures', CNF_POSITION_FEATURES);
  const ema = o.ema ?? fallback<number>('ema', DEFAULT_CNF_EMA);
  let timeSampling: CnfTimeSampling | null;
  let timeScale: number | null;
  if (saved && o['time-sampling'] === undefined && o['time-scale'] === undefined) {
    // The checkpoint's times as they are: another --objective is then the one difference refused.
    timeSampling = fallback<CnfTimeSampling | null>('timeSampling', null);
    timeScale = fallback<number | null>('timeScale', null);
  } else if (objective === 'likelihood') {
    timeSampling = null;
    timeScale = null;
  } else {
    const savedSampling = fallback<CnfTimeSampling | null>('timeSampling', DEFAULT_CNF_TIME_SAMPLING);
    timeSampling = o['time-sampling'] ?? savedSampling ?? DEFAULT_CNF_TIME_SAMPLING;
    timeScale = timeSampling === 'uniform' ? null : (o['time-scale'] ?? fallback<number | null>('timeScale', null) ?? DEFAULT_CNF_TIME_SCALE);
  }
  // A checkpoint is a file someone may have edited: what it says is checked before it builds or trains anything.
  const damaged = (what: string) => new UsageError(`--resume: ${o.out}/checkpoint's settings hold ${what}; it is damaged (start a fresh run)`);
  if (!(Number.isInteger(positionFeatures) && positionFeatures >= 0 && positionFeatures <= 16))
    throw damaged(`positionFeatures ${JSON.stringify(positionFeatures)}`);
  if (!(typeof ema === 'number' && ema >= 0 && ema < 1)) throw damaged(`ema ${JSON.stringify(ema)}`);
  if (typeof standardBase !== 'boolean') throw damaged(`standardBase ${JSON.stringify(standardBase)}`);
  if (timeSampling !== null && !CNF_TIME_SAMPLINGS.includes(timeSampling)) throw damaged(`timeSampling ${JSON.stringify(timeSampling)}`);
  if (timeScale !== null && !(typeof timeScale === 'number' && timeScale > 0 && Number.isFinite(timeScale)))
    throw damaged(`timeScale ${JSON.stringify(timeScale)}`);
  return { positionFeatures, timeSampling, timeScale, ema, standardBase };
}

/** The average's state as the checkpoint's JSON keeps it (float32 values as numbers: exact both ways). */
async function weightAverageJson(average: WeightAverage): Promise<WeightAverageState> {
  const { updates, averages } = await average.readState();
  return { updates, averages: averages.map((values) => Array.from(values)) };
}
