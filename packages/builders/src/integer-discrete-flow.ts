import { assertKnownOptions, ConfigError, optionNames, Random } from '@flows/core';
import type { Activation } from '@flows/networks';
import { Chain, IntegerAdditiveCoupling, Permute } from '@flows/bijectors';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  Distribution,
  DiscretizedLogistic,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';
import { buildLayers } from './build-layers.js';
import { layerMask, type MaskStrategy, squareShape } from './layer-masks.js';
import { spreadMixture } from './conv-integer-flow.js';

/** Options of {@link integerDiscreteFlow}. */
export interface IntegerFlowOptions {
  /** Event size D: integer-valued vectors (for example 784 pixels in 0…255). */
  size: number;
  /** Integer additive couplings per level (default 8), their masks flipped from one to the next. */
  layers?: number;
  /**
   * Levels L (default 1). After each level but the last, half the coordinates (the odd positions)
   * are factored out under a prior conditioned on the other half, which goes on to the next level
   * (Hoogeboom et al. 2019, §3.2): `P(z) = P(z_L) · Π_l P(z_l^out | z_l^kept)`.
   */
  levels?: number;
  /** Hidden widths of each shift network (default [256, 256]). */
  hidden?: number[];
  /** Hidden widths of each factor-out prior's network z_kept → mixture parameters (default [256]). */
  priorHidden?: number[];
  activation?: Activation;
  /** Mask strategy (default 'alternating'; 'checkerboard' with `imageShape`). */
  mask?: MaskStrategy;
  imageShape?: [number, number];
  /** The integer grid's scale S of the couplings and priors (default 256: 8-bit values). */
  scale?: number;
  /** The base's initial location and log-scale, the same for every coordinate (default 0 and log 32). */
  baseLocation?: number;
  baseLogScale?: number;
  /**
   * Components of the base per coordinate (default 1: one discretized logistic). With K > 1 the base
   * is a mixture of K discretized logistics per coordinate (the prior of Hoogeboom et al. 2019), its
   * locations spread evenly over `baseRange` and its scales a quarter of their spacing. The
   * factor-out priors of `levels` > 1 are mixtures of K as well.
   */
  baseComponents?: number;
  /** The range the mixture's initial locations spread over (default [0, 255]: 8-bit values). */
  baseRange?: [number, number];
  /**
   * The base of the last level instead of the discretized logistic (or mixture) above: any
   * distribution over integer vectors of that level's size (`size`, halved, rounded up, once per
   * level after the first). `baseLocation` and `baseLogScale` then have nothing to set. The flow
   * owns it from then on; when the builder refuses its options, the base is left as it was given.
   */
  base?: Distribution;
  seed?: number;
}

const INTEGER_FLOW_OPTION_NAMES = optionNames<IntegerFlowOptions>()([
  'size',
  'layers',
  'levels',
  'hidden',
  'priorHidden',
  'activation',
  'mask',
  'imageShape',
  'scale',
  'baseLocation',
  'baseLogScale',
  'baseComponents',
  'baseRange',
  'base',
  'seed',
]);

/**
 * The order that puts the even positions first: `forward` of `Permute({ order })` maps
 * z = [z_even, z_odd] back to the interleaved vector, so the density direction splits it.
 */
function evenPositionsFirst(size: number): number[] {
  const kept = Math.ceil(size / 2);
  return Array.from({ length: size }, (_, i) => (i % 2 === 0 ? i / 2 : kept + (i - 1) / 2));
}

/**
 * An integer discrete flow (Hoogeboom, Peters, van den Berg and Welling, NeurIPS 2019): `layers`
 * integer additive couplings, `x = z + (1−b)⊙⌊S·m(b⊙z / S)⌉` in the sampling direction, on a
 * factorised discretized logistic base over all integers with learnable location and scale. The
 * map is a bijection of ℤ^D, so `logProb` is the log of a probability mass (no log-det): the
 * negative log-likelihood in bits is the length a lossless code can reach with it.
 *
 * With `levels` L > 1 the flow is multi-scale: after each level's couplings the odd positions are
 * factored out under a {@link ConditionalMixtureOfDiscretizedLogistics} given the even ones, which
 * go on to the next level (a {@link FactorOutDistribution} whose kept part is the next level's flow).
 */
export function integerDiscreteFlow(options: IntegerFlowOptions): TransformedDistribution {
  assertKnownOptions(options, INTEGER_FLOW_OPTION_NAMES, 'integerDiscreteFlow');
  const size = options.size;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`integerDiscreteFlow: size must be an integer ≥ 2, got ${size}`);
  const count = options.layers ?? 8;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`integerDiscreteFlow: layers must be a positive integer, got ${count}`);
  const levels = options.levels ?? 1;
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`integerDiscreteFlow: levels must be a positive integer, got ${levels}`);
  if (size < 2 ** levels) throw new RangeError(`integerDiscreteFlow: ${levels} levels halve ${size} coordinates below 2; use fewer levels`);
  const components = options.baseComponents ?? 1;
  if (!Number.isInteger(components) || components < 1)
    throw new RangeError(`integerDiscreteFlow: baseComponents must be a positive integer, got ${components}`);
  const [from, to] = options.baseRange ?? [0, 255];
  if (components > 1 && !(Number.isFinite(from) && Number.isFinite(to) && to > from))
    throw new RangeError(`integerDiscreteFlow: baseRange must be [low, high] with high > low, got [${from}, ${to}]`);
  let lastWidth = size;
  for (let l = 1; l < levels; l++) lastWidth = Math.ceil(lastWidth / 2);
  const given = options.base;
  if (given !== undefined) {
    if (!(given instanceof Distribution)) throw new ConfigError(`integerDiscreteFlow: base must be a Distribution, got ${typeof given}`);
    if (given.eventShape.join(',') !== String(lastWidth))
      throw new ConfigError(`integerDiscreteFlow: the base has events of shape [${given.eventShape.join(', ')}]; the last level's are [${lastWidth}]`);
    for (const name of ['baseLocation', 'baseLogScale'] as const)
      if (options[name] !== undefined) throw new ConfigError(`integerDiscreteFlow: ${name} sets the default base; give it or base, not both`);
  }
  const scale = options.scale ?? 256;
  const random = new Random(options.seed ?? 0);
  const level = (width: number, index: number, imageShape: [number, number] | undefined): TransformedDistribution => {
    // Checkerboard masks need the level's image; a level of odd width has none, and falls back to alternating masks.
    const mask = options.mask === 'checkerboard' && index > 0 && !imageShape ? 'alternating' : (options.mask ?? 'alternating');
    const layers = buildLayers(
      count,
      (i) =>
        new IntegerAdditiveCoupling({
          mask: layerMask(mask, width, i, random, imageShape),
          hidden: options.hidden ?? [256, 256],
          activation: options.activation,
          scale,
          seed: random.nextUint32(),
        }),
    );
    if (index === levels - 1) {
      if (given) return new TransformedDistribution(given, new Chain(layers));
      if (components === 1) {
        const base = new DiscretizedLogistic({
          size: width,
          loc: new Array(width).fill(options.baseLocation ?? 0),
          logScale: new Array(width).fill(options.baseLogScale ?? Math.log(32)),
        });
        return new TransformedDistribution(base, new Chain(layers));
      }
      const base = new MixtureOfDiscretizedLogistics({ size: width, components, seed: random.nextUint32() });
      spreadMixture(base, components, width, [from, to]);
      return new TransformedDistribution(base, new Chain(layers));
    }
    const kept = Math.ceil(width / 2);
    // The even positions of a row-major image of even width are its even columns: the next level's image is [h, w/2].
    const nextImage: [number, number] | undefined = imageShape && imageShape[1] % 2 === 0 ? [imageShape[0], imageShape[1] / 2] : undefined;
    const next = level(kept, index + 1, nextImage);
    const factored = new ConditionalMixtureOfDiscretizedLogistics({
      size: width - kept,
      contextSize: kept,
      components,
      hidden: options.priorHidden ?? [256],
      activation: options.activation,
      scale,
      seed: random.nextUint32(),
    });
    spreadMixture(factored, components, width - kept, [from, to]);
    const bijector = new Chain([new Permute({ order: evenPositionsFirst(width) }), ...layers]);
    return new TransformedDistribution(new FactorOutDistribution({ kept: next, factored }), bijector);
  };
  return level(size, 0, options.mask === 'checkerboard' ? (options.imageShape ?? squareShape(size)) : options.imageShape);
}
