import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageView } from '@flows/datasets';
import type { Distribution, VariationalDequantization } from '@flows/distributions';
import { loadCheckpoint, loadModel } from '@flows/flows';
import { commandFor, describeOrigin, type ModelOrigin, modelOrigin, UsageError } from '@flows/cli-kit';
import { logitAlphaOf, rebuildRunModel, splitRunModel } from './variational-run.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The parsed description, or null when it cannot be read (then loadModel or loadCheckpoint names the problem). */
async function readDescription(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** A model that mnist-flow trained, as the commands use it. */
export interface TrainedModel {
  /** The flow (for a --dequantization variational run, the flow on logits inside `pair`). */
  model: Distribution;
  view: ImageView;
  /** Where it came from, for the commands' first line. */
  source: string;
  /** A --dequantization variational run's flow and q, when its checkpoint was found: `eval` scores their bound. */
  pair: VariationalDequantization | null;
  /**
   * For a --dequantization variational flow without its q (a model/ folder with no checkpoint
   * beside it): why its figures are not the run's. Null otherwise.
   */
  note: string | null;
  /** Frees the model (the pair, when there is one: the flow shares its variables). */
  dispose(): void;
}

/**
 * A trained model and the preprocessing it was trained with, from any of: a model directory
 * (`<run>/model`, written at the end of training), a checkpoint directory (`<run>/checkpoint`,
 * written after every epoch, so a long run can be sampled and evaluated while it is still going),
 * or a run directory (its `model/` when training finished, else its `checkpoint/`). Only models of
 * mnist-flow train are taken: another app's model is named as such, with the command that fits it.
 * A --dequantization variational run's flow comes with its q from the run's checkpoint (beside
 * its model/), which `eval` needs for the run's figure.
 */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  for (const candidate of [dir, join(dir, 'model'), join(dir, 'checkpoint')]) {
    if (await exists(join(candidate, 'model.json'))) {
      const description = await readDescription(join(candidate, 'model.json'));
      const origin = description === null ? null : checkMaker(modelOrigin(description), candidate);
      const variational = origin?.settings.dequantization === 'variational';
      let missing = "its q, kept in the run's checkpoint/, is not beside it";
      if (variational) {
        // The flow's q is in the run's checkpoint, written with model/ at the end of the run: taken
        // when it is of the epoch model/ records (a resumed run stopped part-way has a later one).
        const beside = join(candidate, '..', 'checkpoint');
        const epoch = origin?.metadata.epoch;
        const besideDescription = await readDescription(join(beside, 'checkpoint.json'));
        const besideEpoch = (besideDescription as { epoch?: unknown } | null)?.epoch;
        if (besideEpoch !== undefined && besideEpoch === epoch) {
          const loaded = await fromCheckpoint(beside, besideDescription);
          if (loaded.pair) return { ...loaded, source: `${candidate}, with its q from ${loaded.source}` };
          loaded.dispose();
        } else if (besideEpoch !== undefined)
          missing = `the run's checkpoint/ beside it, which holds q, is of epoch ${String(besideEpoch)}, not of this model's ${String(epoch)}`;
      }
      const model = await loadModel(candidate);
      checkMnistModel(model, candidate, origin);
      const view = recordedView(origin?.metadata.view, candidate, () => model.dispose());
      const note = variational
        ? `this flow was trained with variational dequantization (mnist-flow train --dequantization variational), and ${missing}: the figures below take uniform noise, a far looser bound for it than the run's; give --model the run's checkpoint/ for its latest figure, or finish the run`
        : null;
      return { model, view, source: candidate, pair: null, note, dispose: () => model.dispose() };
    }
    if (await exists(join(candidate, 'checkpoint.json'))) return fromCheckpoint(candidate);
  }
  // Nothing recognisable: let loadModel name the problem with the path as given.
  const model = await loadModel(dir);
  checkMnistModel(model, dir, null);
  return { model, view: { kind: 'dequantized' }, source: dir, pair: null, note: null, dispose: () => model.dispose() };
}

/** A run's checkpoint: its flow, or its flow and q (a --dequantization variational run); `description` its checkpoint.json when already read. */
async function fromCheckpoint(candidate: string, read?: unknown): Promise<TrainedModel> {
  const description = read ?? (await readDescription(join(candidate, 'checkpoint.json')));
  const origin = description === null ? null : checkMaker(modelOrigin(description), candidate);
  const checkpoint = await loadCheckpoint(candidate, rebuildRunModel);
  const { model, pair } = splitRunModel(checkpoint.model, candidate);
  const dispose = () => (pair ?? model).dispose();
  checkMnistModel(model, candidate, origin, dispose);
  const settings = (checkpoint.extra.settings ?? {}) as { logit?: unknown };
  const logit = settings.logit ?? undefined;
  // The pair's own logit is the preprocessing its figures use; the recorded one must be the same.
  if (pair && logit !== logitAlphaOf(pair)) {
    dispose();
    throw new UsageError(
      `${candidate}: the checkpoint's settings record the logit's alpha ${String(logit)}, its variational pair's logit has ${logitAlphaOf(pair)}; the file was edited: use the checkpoint as mnist-flow train wrote it`,
    );
  }
  const view = recordedView(logit === undefined ? { kind: 'dequantized' } : { kind: 'logit', alpha: logit }, candidate, dispose);
  return { model, view, source: `${candidate} (epoch ${checkpoint.epoch})`, pair, note: null, dispose };
}

/** The pixels of the images mnist-flow models: 28 × 28 × 1. */
export const MNIST_PIXELS = 784;

/** " Use <command>." for the app that made a model, or nothing when no app of this repository did. */
function useInstead(origin: ModelOrigin | null, where: string): string {
  const command = origin && commandFor(origin, where);
  return command ? `; use ${command}` : '';
}

/**
 * Refuses, before its weights are loaded, a model that mnist-flow did not train: an integer
 * discrete flow (flow-codec's: it models integer pixels, so mnist-flow's bits/dim and samples of it
 * mean nothing), a VAE, or another app's density (trained with that app's preprocessing).
 * A model of another size is left to {@link checkMnistModel}, which names its size.
 */
function checkMaker(origin: ModelOrigin, where: string): ModelOrigin {
  if (origin.kind !== 'density') {
    throw new UsageError(`${where}: this is ${describeOrigin(origin)}, not an mnist-flow model${useInstead(origin, where)}`);
  }
  return origin;
}

/** A model of something other than 28 × 28 images (a toy-flow model, say), or another app's, is named as such, not sampled into a black grid. */
function checkMnistModel(model: Distribution, where: string, origin: ModelOrigin | null, release = () => model.dispose()): void {
  const app = origin?.app;
  if (model.eventSize !== MNIST_PIXELS) {
    release();
    const maker = typeof app === 'string' && app !== 'mnist-flow' ? ` (made by ${app})` : '';
    throw new UsageError(
      `${where}: this is a model of ${model.eventSize}-dimensional data${maker}; mnist-flow works with models of 28×28 images (${MNIST_PIXELS} dimensions)${useInstead(origin, where)}`,
    );
  }
  if (origin && app !== 'mnist-flow') {
    release();
    throw new UsageError(
      `${where}: mnist-flow did not train this model (${describeOrigin(origin)}): it knows the preprocessing (dequantization or logit) only of the models it trained${useInstead(origin, where)}`,
    );
  }
}

/**
 * The preprocessing a model was trained with, as mnist-flow recorded it: the exercise's
 * dequantization, or the logit with its α in (0, 0.5). Anything else is refused: the figures and
 * pictures depend on it, and the file may have been edited.
 */
function recordedView(view: unknown, where: string, release: () => void): ImageView {
  const record = (view ?? {}) as { kind?: unknown; alpha?: unknown };
  if (record.kind === 'dequantized') return { kind: 'dequantized' };
  if (record.kind === 'logit' && typeof record.alpha === 'number' && record.alpha > 0 && record.alpha < 0.5) return { kind: 'logit', alpha: record.alpha };
  release();
  const shown = JSON.stringify(view ?? null).slice(0, 80);
  throw new UsageError(
    `${where}: the model records no preprocessing mnist-flow knows (${shown}; expected the dequantization or a logit with alpha in (0, 0.5)); train it with mnist-flow train`,
  );
}

/** Data images must have the size the model was trained on. */
export function checkImageSize(images: { rows: number; cols: number; source?: string }, where: string): void {
  if (images.rows * images.cols !== MNIST_PIXELS) {
    throw new UsageError(`${where}: the images are ${images.rows}×${images.cols}, but mnist-flow models are of 28×28 images`);
  }
}
