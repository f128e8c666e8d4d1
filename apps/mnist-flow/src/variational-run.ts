import * as tf from '@tensorflow/tfjs-core';
import { Chain, Invert, Logit } from '@flows/bijectors';
import { UsageError } from '@flows/cli-kit';
import { Random } from '@flows/core';
import { imageBatches, type RawImages } from '@flows/datasets';
import { type Distribution, distributionFromJSON, type SerializedDistribution, TransformedDistribution, VariationalDequantization } from '@flows/distributions';
import { type TrainingData, variationalDequantizer } from '@flows/flows';
import { sumOverTestBatches, type TestScore } from './test-score.js';

/**
 * Variational dequantization for `mnist-flow train --dequantization variational` (Flow++, Ho et
 * al. 2019, §3.1): the run trains the multi-scale flow p on logits together with a conditional flow
 * q(u | x) of the noise, on the bound
 *
 *   log P(x) ≥ E_q[log p(y) − log q(u | x)],  y = (v + u)/256 (bin 1/256),
 *
 * where p(y) is the flow's density of `logit(α + (1 − 2α)y)` times that map's Jacobian: the same
 * density of pixels that uniform dequantization scores (`VariationalDequantization` of
 * `@flows/distributions`). The run's checkpoint holds the pair; its `model/` is the flow on logits
 * alone, as every run's is, so `sample` and `interpolate` read it unchanged. `eval` scores the bound
 * with q from the run's checkpoint beside `model/` (of the same epoch); without it, the flow with
 * uniform noise, saying why that is not the run's figure. flow-codec refuses such a flow: its local
 * bits-back coding takes uniform noise as the posterior.
 */

/** What a run's checkpoint holds: the flow, or with --dequantization variational the flow and q as one pair. */
export type RunModel = Distribution | VariationalDequantization;

/** Rebuilds what a run's checkpoint holds (a --dequantization variational run's: the pair). */
export function rebuildRunModel(serialized: SerializedDistribution): RunModel {
  return serialized.className === VariationalDequantization.className ? VariationalDequantization.fromJSON(serialized) : distributionFromJSON(serialized);
}

/** The noise flow q(u | x): a conditional normal given the image, then 2 checkerboard couplings (16 channels), as bench/dequantization-mnist.mjs measured it. */
export const DEQUANTIZER = { hidden: [16], steps: 2, couplingHidden: [16] } as const;

/** The pixels' bin: y = (v + u)/256, as the logit view's. */
export const PIXEL_BIN = 1 / 256;

/** The pair: the flow on logits `flow`, seen as a density of pixels through `Invert(Logit(α))`, and q. */
export function variationalPair(flow: Distribution, alpha: number, seed: number): VariationalDequantization {
  if (!(flow instanceof TransformedDistribution)) throw new Error('variationalPair: the flow must be a TransformedDistribution');
  const shape = flow.eventShape as [number, number, number];
  const pixels = new TransformedDistribution(flow.base, new Chain([flow.bijector, new Invert(new Logit(alpha))]));
  return new VariationalDequantization({
    model: pixels,
    dequantizer: variationalDequantizer({
      shape,
      ...DEQUANTIZER,
      hidden: [...DEQUANTIZER.hidden],
      couplingHidden: [...DEQUANTIZER.couplingHidden],
      seed: seed + 1,
    }),
    binWidth: PIXEL_BIN,
    seed: seed + 2,
  });
}

/**
 * The flow on logits inside a pair (sharing its variables: dispose the pair, not this): its model's
 * chain without the last layer, which must be the inverted logit.
 */
export function logitFlowOf(pair: VariationalDequantization): TransformedDistribution {
  const pixels = pair.model;
  if (!(pixels instanceof TransformedDistribution) || !(pixels.bijector instanceof Chain))
    throw new Error('logitFlowOf: the pair is not a flow on logits with the logit view undone');
  const layers = pixels.bijector.bijectors;
  const last = layers[layers.length - 1];
  if (!(last instanceof Invert) || !(last.bijector instanceof Logit))
    throw new Error('logitFlowOf: the last layer of the pair’s model is not the inverted logit');
  return new TransformedDistribution(pixels.base, layers.length === 2 ? layers[0] : new Chain(layers.slice(0, -1)));
}

/** The logit's α of a pair (its last layer's; the pair must be one {@link logitFlowOf} takes). */
export function logitAlphaOf(pair: VariationalDequantization): number {
  const layers = ((pair.model as TransformedDistribution).bijector as Chain).bijectors;
  return ((layers[layers.length - 1] as Invert).bijector as Logit).alpha;
}

/**
 * What a run's checkpoint holds, split for the commands: the flow, and with --dequantization
 * variational the pair it lives in (sharing its variables). A pair that is not a flow on logits with
 * the logit view undone is disposed and refused, naming `where`.
 */
export function splitRunModel(saved: RunModel, where: string): { model: Distribution; pair: VariationalDequantization | null } {
  if (!(saved instanceof VariationalDequantization)) return { model: saved, pair: null };
  try {
    return { model: logitFlowOf(saved), pair: saved };
  } catch (error) {
    saved.dispose();
    throw new UsageError(
      `${where}: the checkpoint's variational pair is not one mnist-flow train writes (${(error as Error).message}); train it with mnist-flow train --dequantization variational`,
    );
  }
}

/**
 * Images as x = v/256 in the flow's image shape, without noise (q draws it): shuffled each epoch
 * from fit's generator (training), or in order (`shuffle: false`, testing).
 */
export function pixelData(data: RawImages, limit?: number, shuffle = true): TrainingData {
  return {
    size: Math.min(data.count, limit ?? data.count),
    *batches(batchSize, random) {
      // The scaled view gives v/255; the pair's bins are 1/256 wide. The iterator disposes its own batch.
      for (const batch of imageBatches(data, { batchSize, view: { kind: 'scaled' }, random, limit, shape: 'image', shuffle }))
        yield { x: tf.mul(batch.x, 255 / 256) };
    },
  };
}

/** The seed of q's draws in an evaluation: one figure for a model wherever it is computed. */
export const EVALUATION_NOISE_SEED = 12345;

/**
 * The negative ELBO of the test images (nats per image, one draw of q each from a generator seeded
 * with {@link EVALUATION_NOISE_SEED}): an upper bound of −log P(v), the figure a run reports.
 */
export async function variationalTestScore(pair: VariationalDequantization, test: TrainingData): Promise<TestScore> {
  const random = new Random(EVALUATION_NOISE_SEED);
  const { total, count } = await sumOverTestBatches(test, (batch) => tf.sum(pair.uncheckedElbo(batch.x, random)));
  if (count === 0) throw new Error('variationalTestScore: no test images');
  if (!Number.isFinite(total)) throw new Error(`variationalTestScore: the bound is ${total} on the test images: the flow or q gives non-finite densities`);
  return { nll: -total / count, nfe: null };
}

/** ActNorm's data-dependent start from the first batch, through the pixels' density at the bins' centres (outside any gradient tape). */
export function startFromData(pair: VariationalDequantization, data: TrainingData, batchSize: number, random: Random): void {
  // A copy of the generator: the run's own draws stay as a resumed run replays them.
  const batches = data.batches(batchSize, Random.fromState(random.getState()))[Symbol.iterator]();
  const first = batches.next();
  batches.return?.();
  if (first.done) return;
  tf.tidy(() => {
    pair.model.logProb(tf.add(first.value.x, PIXEL_BIN / 2));
  });
  first.value.x.dispose();
}
