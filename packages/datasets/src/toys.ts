import { Chequerboard } from './chequerboard.js';
import { eightGaussians, twoGaussians } from './gaussian-mixture-toy.js';
import { Rings } from './rings.js';
import { pinwheel, swissRoll, twoMoons, twoSpirals } from './sample-only-toys.js';
import { TorusVonMisesMixture } from './torus.js';
import type { ToyDistribution } from './toy.js';

const builders: Record<string, () => ToyDistribution> = {
  'two-gaussians': twoGaussians,
  chequerboard: () => new Chequerboard(3),
  'chequerboard-4x4': () => new Chequerboard(4),
  'eight-gaussians': eightGaussians,
  rings: () => new Rings(),
  'two-moons': twoMoons,
  pinwheel,
  'swiss-roll': swissRoll,
  'two-spirals': twoSpirals,
  torus: () => new TorusVonMisesMixture(),
};

/** Names accepted by {@link toyByName} (and the apps' `--data`). */
export const TOY_NAMES: readonly string[] = Object.keys(builders);

/** The toy of that command-line name; throws with the list of names otherwise. */
export function toyByName(name: string): ToyDistribution {
  const build = builders[name];
  if (!build) throw new Error(`unknown dataset '${name}'; expected one of: ${TOY_NAMES.join(', ')}`);
  return build();
}
