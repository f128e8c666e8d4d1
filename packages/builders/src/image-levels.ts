import type { Bijector } from '@flows/core';
import { Chain, FactorOut, Reshape, Squeeze } from '@flows/bijectors';
import { type ConditionalDistribution, type Distribution, FactorOutDistribution, TransformedDistribution } from '@flows/distributions';

/** What each level of {@link nestedImageLevels} is made of. */
export interface ImageLevelParts {
  /** The level's layers on its squeezed image `[h, w, c]`, in the density direction. */
  steps(shape: [number, number, number]): Bijector[];
  /** The prior of the factored channels (`shape` is theirs) given the `keptChannels` that go on, over flat rows. */
  factored(shape: [number, number, number], keptChannels: number): ConditionalDistribution;
  /** The last level's base over its `size` values, flat. */
  lastBase(size: number): Distribution;
}

/**
 * The multi-scale structure with priors for the factored-out channels (Dinh et al. 2017, §3.6;
 * Kingma and Dhariwal 2018; Hoogeboom et al. 2019, §3.2), nested as distributions. Level l maps its
 * image (flat rows below the first level, through a `Reshape`) by a squeeze and its `steps` to
 * `[kept, factored]` (`FactorOut` with a `Reshape` inside splits the channels into two flat parts),
 * and its base is `FactorOutDistribution({ kept: level l + 1, factored })`; the last level's base is
 * `lastBase`. Each level's steps are built before the next level, and its prior after it.
 */
export function nestedImageLevels(shape: [number, number, number], levels: number, parts: ImageLevelParts): TransformedDistribution {
  const level = (h: number, w: number, c: number, remaining: number, flatInput: boolean): TransformedDistribution => {
    const squeezed: [number, number, number] = [h / 2, w / 2, 4 * c];
    const size = squeezed[0] * squeezed[1] * squeezed[2];
    const densityOrder: Bijector[] = [];
    if (flatInput) densityOrder.push(new Reshape({ baseShape: [h, w, c], dataShape: [h * w * c] }));
    densityOrder.push(new Squeeze({ shape: [h, w, c] }), ...parts.steps(squeezed));
    let base: Distribution;
    if (remaining > 1) {
      const keep = squeezed[2] / 2;
      const keptSize = squeezed[0] * squeezed[1] * keep;
      densityOrder.push(
        new FactorOut({ shape: squeezed, keepChannels: keep, inner: new Reshape({ baseShape: [keptSize], dataShape: [squeezed[0], squeezed[1], keep] }) }),
      );
      const kept = level(squeezed[0], squeezed[1], keep, remaining - 1, true);
      base = new FactorOutDistribution({ kept, factored: parts.factored([squeezed[0], squeezed[1], squeezed[2] - keep], keep) });
    } else {
      densityOrder.push(new Reshape({ baseShape: [size], dataShape: squeezed }));
      base = parts.lastBase(size);
    }
    return new TransformedDistribution(base, new Chain(densityOrder.reverse()));
  };
  return level(shape[0], shape[1], shape[2], levels, false);
}
