import { UsageError } from '@flows/cli-kit';
import { Random } from '@flows/core';
import type { ImageView } from '@flows/datasets';
import type { Distribution, VariationalDequantization } from '@flows/distributions';
import { type AdamState, TrainingRun, TrainingRunError } from '@flows/flows';
import type { EpochRow } from './epoch-report.js';
import { buildModel, MODEL_SETTINGS, type PixelStatistics } from './mnist-model.js';
import { viewFor } from './preprocessing.js';
import { type RunModel, rebuildRunModel, splitRunModel, variationalPair } from './variational-run.js';
import type { TrainOptions } from './train-options.js';

/** The option behind each setting, for messages. */
const SETTING_OPTIONS: Record<string, string> = {
  scaleFactor: '--fixed-scale',
  mask: '--mask',
  layers: '--layers',
  hidden: '--hidden',
  batchSize: '--batch-size',
  learningRate: '--lr',
  lrSchedule: '--lr-schedule',
  clipNorm: '--clip-norm',
  weightDecay: '--weight-decay',
  logit: '--logit',
  seed: '--seed',
  limit: '--limit',
  testLimit: '--test-limit',
  validation: '--validation',
  conditional: '--conditional',
  architecture: '--architecture',
  stepsPerLevel: '--steps-per-level',
  channels: '--channels',
  factorPrior: '--prior',
  conditioner: '--conditioner',
  blocks: '--blocks',
  dequantization: '--dequantization',
};

/**
 * The settings of a run, recorded in every checkpoint and compared on --resume: those that define
 * the model and its preprocessing (`MODEL_SETTINGS`) and those that steer the training.
 */
export function runSettings(o: TrainOptions, view: ImageView) {
  // A continuous flow has no couplings: their settings are null in its run, as a coupling run's multi-scale ones are.
  const couplings = o.architecture !== 'cnf';
  return {
    scaleFactor: couplings ? !o['fixed-scale'] : null,
    mask: couplings ? o.mask : null,
    layers: couplings ? o.layers : null,
    hidden: o.hidden,
    epochs: o.epochs,
    batchSize: o['batch-size'],
    learningRate: o.lr,
    lrSchedule: o['lr-schedule'],
    clipNorm: o['clip-norm'],
    weightDecay: o['weight-decay'],
    logit: view.kind === 'logit' ? view.alpha : null,
    seed: o.seed,
    limit: o.limit ?? null,
    testLimit: o['test-limit'] ?? null,
    validation: o.validation,
    conditional: Boolean(o.conditional),
    architecture: o.architecture,
    stepsPerLevel: o.architecture === 'multiscale' ? o['steps-per-level'] : null,
    channels: o.architecture === 'multiscale' ? o.channels : null,
    // Learned priors by default; a class-conditional run keeps the standard ones (the priors take no label yet).
    factorPrior: o.architecture === 'multiscale' && o.prior === 'conditional' && !o.conditional ? ('conditional' as const) : null,
    // ConvNets unless asked: recorded as null, as runs from before the option were.
    conditioner: o.architecture === 'multiscale' && o.conditioner === 'gated-residual' ? ('gated-residual' as const) : null,
    blocks: o.architecture === 'multiscale' && o.conditioner === 'gated-residual' ? o.blocks : null,
    // Uniform noise unless asked: recorded as null, as runs from before the option were.
    dequantization: o.architecture === 'multiscale' && o.dequantization === 'variational' ? ('variational' as const) : null,
  };
}

export type RunSettings = ReturnType<typeof runSettings>;

/**
 * Opens the run in `out`: a new one, or with --resume its checkpoint, whose settings must match
 * (with --allow-option-changes the checkpoint's model and preprocessing are kept); a refusal is a
 * UsageError in the app's flag names.
 */
export async function openRun(o: TrainOptions, out: string, settings: RunSettings): Promise<TrainingRun<RunModel, RunSettings, EpochRow>> {
  return TrainingRun.open<RunModel, RunSettings, EpochRow>({
    directory: out,
    rebuild: rebuildRunModel,
    settings,
    resume: Boolean(o.resume),
    mayChange: ['epochs', 'testLimit'],
    settingNames: SETTING_OPTIONS,
    // With --allow-option-changes the checkpoint defines the model and its preprocessing; metrics.json and model/ say so.
    onSettingChanges: o['allow-option-changes'] ? 'keep-checkpoint' : 'refuse',
    checkpointWins: MODEL_SETTINGS,
  }).catch((error: unknown) => {
    if (!(error instanceof TrainingRunError)) throw error;
    const advice =
      error.differences.length > 0
        ? "; give them as they were, or add --allow-option-changes to continue the checkpoint's model with the new training options"
        : '';
    throw new UsageError(`--resume: ${error.message}${advice}`);
  });
}

/** Where training starts: a new model, or the checkpoint's model, optimizer state and generator. */
export interface StartingPoint {
  /** The flow (on logits, for a variational run: the pair's, sharing its variables). */
  model: Distribution;
  /** With --dequantization variational: the flow and q, which train together (dispose this, not `model`). */
  pair: VariationalDequantization | null;
  optimizerState: AdamState | null;
  random: Random;
  /** The preprocessing: the options', or the checkpoint's after --allow-option-changes. */
  view: ImageView;
}

/**
 * The run's starting point: a resumed run's checkpoint (said on stderr), else a new model from the
 * settings and --seed (a new cnf's base from `statistics`, the training images' per pixel).
 */
export function startingPoint(
  training: TrainingRun<RunModel, RunSettings, EpochRow>,
  seed: number,
  view: ImageView,
  statistics?: PixelStatistics,
): StartingPoint {
  const checkpoint = training.resumed;
  if (!checkpoint) {
    // train refuses --exercise-scaling with it: a variational run's pixels go through the logit.
    const alpha = training.settings.dequantization === 'variational' ? (view.kind === 'logit' ? view.alpha : null) : undefined;
    if (alpha === null) throw new Error('startingPoint: a variational run needs the logit view');
    const model = buildModel(training.settings, seed, statistics);
    const pair = alpha === undefined ? null : variationalPair(model, alpha, seed);
    return { model, pair, optimizerState: null, random: new Random(seed + 1), view };
  }
  let resumedView = view;
  if (training.settingChanges.length > 0) {
    resumedView = viewFor(training.settings.logit ?? undefined);
    console.error(`note: continuing with changed options (${training.settingChanges.join(', ')}); the model and preprocessing stay the checkpoint's`);
  }
  console.error(`resuming after epoch ${training.startEpoch} (step ${checkpoint.optimizerState.step})`);
  const { model, pair } = splitRunModel(checkpoint.model, 'the checkpoint');
  return { model, pair, optimizerState: checkpoint.optimizerState, random: Random.fromState(checkpoint.randomState), view: resumedView };
}
