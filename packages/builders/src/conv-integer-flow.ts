import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, ConfigError, optionNames, Random } from '@flows/core';
import { channelMask, IntegerAdditiveCoupling } from '@flows/bijectors';
import { ConditionalMixtureOfDiscretizedLogistics, MixtureOfDiscretizedLogistics, type TransformedDistribution } from '@flows/distributions';
import { nestedImageLevels } from './image-levels.js';

/** Options of {@link convIntegerFlow}. */
export interface ConvIntegerFlowOptions {
  /** Image shape `[H, W, C]` of integer pixels; H and W must be divisible by 2^levels. */
  shape: [number, number, number];
  /** Squeeze levels (default 2); after each but the last, half the channels are factored out. */
  levels?: number;
  /** Integer additive couplings per level (default 4), their channel masks flipped from one to the next. */
  layers?: number;
  /** Channels of each coupling's convolutional shift network (default [32, 32]). */
  hidden?: number[];
  /** Hidden widths of each factor-out prior's network, kept values → mixture parameters (default [256]). */
  priorHidden?: number[];
  /** Discretized logistics per value in the base and the factor-out priors (default 5). */
  components?: number;
  /** The range the mixtures' initial locations spread over (default [0, 255]: 8-bit values). */
  range?: [number, number];
  /** The integer grid's scale S of the couplings and priors (default 256: 8-bit values). */
  scale?: number;
  seed?: number;
}

const CONV_INTEGER_FLOW_OPTION_NAMES = optionNames<ConvIntegerFlowOptions>()([
  'shape',
  'levels',
  'layers',
  'hidden',
  'priorHidden',
  'components',
  'range',
  'scale',
  'seed',
]);

/**
 * Spreads a mixture's components evenly over `[from, to]` in every coordinate (component k at
 * `from + (k + ½)·spacing`), each with a scale of a quarter of the spacing: dark and bright pixels
 * start with components of their own.
 */
export function spreadMixture(mixture: { loc: tf.Variable; logScale: tf.Variable }, components: number, width: number, [from, to]: [number, number]): void {
  const spacing = (to - from) / components;
  tf.tidy(() => {
    mixture.loc.assign(tf.tile(tf.reshape(tf.add(tf.mul(tf.range(0, components), spacing), from + spacing / 2), [components, 1]), [1, width]));
    mixture.logScale.assign(tf.fill([components, width], Math.log(Math.max(0.5, spacing / 4))));
  });
}

/**
 * A convolutional integer discrete flow on images (Hoogeboom, Peters, van den Berg and Welling,
 * NeurIPS 2019, §3 and their image architecture): per level, in the density direction, a squeeze
 * (2 × 2 × c → 1 × 1 × 4c), `layers` integer additive couplings whose rounded shifts come from
 * convolutional networks (channel masks flipped each layer),
 *
 * - forward: `y = x + (1−b)⊙⌊S · m(b⊙x / S)⌉`, inverse: `x = y − (1−b)⊙⌊S · m(b⊙y / S)⌉`, log-det 0,
 *
 * then half the channels factored out under a mixture of discretized logistics conditioned on the
 * other half (`ConditionalMixtureOfDiscretizedLogistics` inside a `FactorOutDistribution`), which
 * goes on to the next level; the last level's values have a mixture of discretized logistics.
 * `P(x) = P(z_L) · Π_l P(z_l^out | z_l^kept)` is a probability mass (every map is a bijection of
 * ℤ^D), so −log₂ P(x) is the length a lossless code reaches. Events are `[N, H, W, C]` images of
 * integers (8-bit pixels by default); levels below the first see flat rows through a `Reshape`.
 */
export function convIntegerFlow(options: ConvIntegerFlowOptions): TransformedDistribution {
  assertKnownOptions(options, CONV_INTEGER_FLOW_OPTION_NAMES, 'convIntegerFlow');
  const [height, width, channels] = options.shape ?? [];
  for (const [name, value] of [
    ['shape[0]', height],
    ['shape[1]', width],
    ['shape[2]', channels],
  ] as const)
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`convIntegerFlow: ${name} must be a positive integer, got ${value}`);
  const levels = options.levels ?? 2;
  const count = options.layers ?? 4;
  const components = options.components ?? 5;
  for (const [name, value] of [
    ['levels', levels],
    ['layers', count],
    ['components', components],
  ] as const)
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`convIntegerFlow: ${name} must be a positive integer, got ${value}`);
  const divisor = 2 ** levels;
  if (height % divisor !== 0 || width % divisor !== 0)
    throw new ConfigError(`convIntegerFlow: height and width (${height} × ${width}) must be divisible by 2^levels = ${divisor}`);
  const range = options.range ?? [0, 255];
  if (!(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0]))
    throw new ConfigError(`convIntegerFlow: range must be [low, high] with high > low, got [${range.join(', ')}]`);
  const scale = options.scale ?? 256;
  const random = new Random(options.seed ?? 0);
  return nestedImageLevels([height, width, channels], levels, {
    steps: (shape) =>
      Array.from(
        { length: count },
        (_, i) =>
          new IntegerAdditiveCoupling({
            mask: channelMask(shape[0], shape[1], shape[2], i % 2 === 0),
            eventShape: shape,
            hidden: options.hidden ?? [32, 32],
            scale,
            seed: random.nextUint32(),
          }),
      ),
    factored: ([h, w, c], keptChannels) => {
      const size = h * w * c;
      const factored = new ConditionalMixtureOfDiscretizedLogistics({
        size,
        contextSize: h * w * keptChannels,
        components,
        hidden: options.priorHidden ?? [256],
        scale,
        seed: random.nextUint32(),
      });
      spreadMixture(factored, components, size, range);
      return factored;
    },
    lastBase: (size) => {
      const mixture = new MixtureOfDiscretizedLogistics({ size, components, seed: random.nextUint32() });
      spreadMixture(mixture, components, size, range);
      return mixture;
    },
  });
}
