import * as tf from '@tensorflow/tfjs-core';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  type Distribution,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';

/**
 * Data-dependent initialisation of the mixtures (as ActNorm initialises from a first batch): the
 * base's parameters are in pixel units, which Adam moves by about the learning rate per step, so a
 * base that starts far from the data takes thousands of steps to get there. Components k < K − 1 of
 * coordinate i start at the (k + ½)/(K − 1) quantiles of that coordinate's latents z = f⁻¹(x) on
 * training images, with a scale of a quarter of the distance to their neighbours (at least 0.3), and
 * the last spans the whole range: a pixel that is 0 in 80 % of the images starts with most of its
 * components on 0, and a rare grey value still costs a few bits, not hundreds. A multi-scale flow's
 * factor-out priors start the same way from the latents they model (their networks start at zero,
 * so each starts as this unconditional mixture), and its levels are followed down to the last base.
 */
export function initialiseMixtures(distribution: Distribution, latents: Float32Array): void {
  const count = latents.length / distribution.eventSize;
  if (distribution instanceof TransformedDistribution) {
    const z = tf.tidy(() => distribution.bijector.inverse(tf.tensor(latents, [count, ...distribution.eventShape])).dataSync() as Float32Array);
    initialiseMixtures(distribution.base, z);
  } else if (distribution instanceof FactorOutDistribution) {
    const [kept, factored] = tf.tidy(() =>
      distribution.split(tf.tensor2d(latents, [count, distribution.eventSize])).map((part) => part.dataSync() as Float32Array),
    );
    if (distribution.factored instanceof ConditionalMixtureOfDiscretizedLogistics) initialiseFromQuantiles(distribution.factored, factored);
    initialiseMixtures(distribution.kept, kept);
  } else if (distribution instanceof MixtureOfDiscretizedLogistics) {
    initialiseFromQuantiles(distribution, latents);
  }
}

/** Sets a mixture's `[K, D]` locations and log-scales from the quantiles of its coordinates' values (rows of D). */
function initialiseFromQuantiles(
  mixture: { components: number; eventShape: readonly number[]; loc: tf.Variable; logScale: tf.Variable },
  values: Float32Array,
): void {
  const [k, size] = [mixture.components, mixture.eventShape[0]];
  const count = values.length / size;
  const loc = new Float32Array(k * size);
  const logScale = new Float32Array(k * size);
  const column = new Float32Array(count);
  for (let i = 0; i < size; i++) {
    for (let n = 0; n < count; n++) column[n] = values[n * size + i];
    column.sort();
    const quantile = (q: number) => column[Math.min(count - 1, Math.floor(q * count))];
    // K − 1 components at quantiles; the last one broad, over the whole range of the latents, so that
    // no value is far out in every component's exponential tail (−|z − μ|/s nats each).
    const narrow = k - 1;
    const at = Array.from({ length: narrow }, (_, j) => quantile((j + 0.5) / narrow));
    for (let j = 0; j < narrow; j++) {
      const gap = Math.max(j > 0 ? at[j] - at[j - 1] : 0, j + 1 < narrow ? at[j + 1] - at[j] : 0);
      loc[j * size + i] = at[j];
      logScale[j * size + i] = Math.log(Math.max(0.3, gap / 4));
    }
    const [low, high] = [Math.min(column[0], 0), Math.max(column[count - 1], 255)];
    loc[narrow * size + i] = (low + high) / 2;
    logScale[narrow * size + i] = Math.log((high - low) / 8);
  }
  tf.tidy(() => {
    mixture.loc.assign(tf.tensor2d(loc, [k, size]));
    mixture.logScale.assign(tf.tensor2d(logScale, [k, size]));
  });
}
