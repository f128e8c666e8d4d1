import { assertKnownOptions, type Bijector, ConfigError, optionNames, Random } from '@flows/core';
import { ActNorm, Chain, channelMask, FactorOut, InvertibleConv1x1, MaskedAffineCoupling, Squeeze } from '@flows/bijectors';
import { ConvConditionalNormal, DiagonalNormal, Distribution, StandardNormal, TransformedDistribution } from '@flows/distributions';
import { GatedResidualConvNet } from '@flows/networks';
import { nestedImageLevels } from './image-levels.js';

/** Options of {@link multiScaleFlow}. */
export interface MultiScaleOptions {
  /** Data shape `[H, W, C]`; H and W must be divisible by 2^levels. */
  shape: [number, number, number];
  /** Squeeze levels (default 2); after each but the last, half the channels are factored out. */
  levels?: number;
  /** Flow steps per level (default 4): ActNorm, invertible 1 × 1 convolution, affine coupling. */
  stepsPerLevel?: number;
  /**
   * Channels of each coupling's conditioners: the hidden convolutions of a `ConvNet` (default
   * [64, 64]), or with `conditioner: 'gated-residual'` one entry, the residual stream's channels
   * (default [64]).
   */
  hidden?: number[];
  /**
   * The couplings' scale and translation networks (default `'conv'`): `'conv'`, plain `ConvNet`s
   * of `hidden` (Real NVP, Glow); `'gated-residual'`, the gated residual networks of Flow++
   * ({@link GatedResidualConvNet}, `blocks` blocks of `hidden[0]` channels).
   */
  conditioner?: 'conv' | 'gated-residual';
  /** With `conditioner: 'gated-residual'`: gated residual blocks per network (default 2). */
  blocks?: number;
  /** Context width for conditional flows (default 0); it reaches every coupling as extra channels. */
  contextSize?: number;
  seed?: number;
  /**
   * The prior of the factored-out channels (default `'standard'`):
   *
   * - `'standard'`: Real NVP's: every factored value and the last level's output are standard
   *   normal, one flat base over all H·W·C coordinates (`flow.bijector` maps the image to it);
   * - `'conditional'`: Glow's learned priors: the channels factored out at a level are normal with
   *   a mean and scale that a convolutional network ({@link ConvConditionalNormal}, `priorHidden`)
   *   computes from the channels that go on, and the last level's output has a learned diagonal
   *   normal. The flow is then nested: its base is a {@link FactorOutDistribution} whose kept
   *   part is the next level's flow. Conditional flows (`contextSize`) need `'standard'`.
   */
  prior?: 'standard' | 'conditional';
  /** With `prior: 'conditional'`: channels of the priors' hidden convolutions (default [64]). */
  priorHidden?: number[];
  /**
   * The base distribution of the base-side events, flattened (default a standard normal over
   * all H·W·C coordinates, `flow.bijector.eventShape`; with `prior: 'conditional'`, a learned
   * diagonal normal over the last level's output). The flow owns it from then on; when the builder
   * refuses its options, the base is left as it was given.
   */
  base?: Distribution;
}

const MULTI_SCALE_OPTION_NAMES = optionNames<MultiScaleOptions>()([
  'shape',
  'levels',
  'stepsPerLevel',
  'hidden',
  'conditioner',
  'blocks',
  'contextSize',
  'seed',
  'prior',
  'priorHidden',
  'base',
]);

/**
 * A multi-scale Glow-style flow (Dinh et al. 2017; Kingma and Dhariwal 2018) on images. In the
 * density direction each level squeezes (2 × 2 × c → 1 × 1 × 4c), runs `stepsPerLevel` steps of
 * ActNorm → InvertibleConv1x1 → MaskedAffineCoupling (channel masks alternating, ConvNet
 * conditioners, or Flow++'s gated residual ones), then factors out half the channels to the base and passes the rest to the next
 * level. The base is a standard normal on the flattened factored dimensions (or `base`), or with
 * `prior: 'conditional'` Glow's learned priors (factored channels given the kept ones); sample at a
 * temperature with `sample(n, { temperature })`.
 */
export function multiScaleFlow(options: MultiScaleOptions): TransformedDistribution {
  assertKnownOptions(options, MULTI_SCALE_OPTION_NAMES, 'multiScaleFlow');
  const [height, width, channels] = options.shape;
  const levels = options.levels ?? 2;
  const steps = options.stepsPerLevel ?? 4;
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`multiScaleFlow: levels must be a positive integer, got ${levels}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`multiScaleFlow: stepsPerLevel must be a positive integer, got ${steps}`);
  const divisor = 2 ** levels;
  if (height % divisor !== 0 || width % divisor !== 0) {
    throw new RangeError(`multiScaleFlow: height and width (${height} × ${width}) must be divisible by 2^levels = ${divisor}`);
  }
  const prior = options.prior ?? 'standard';
  if (prior !== 'standard' && prior !== 'conditional') throw new ConfigError(`multiScaleFlow: prior must be 'standard' or 'conditional', got '${prior}'`);
  if (prior === 'conditional' && (options.contextSize ?? 0) > 0)
    throw new ConfigError("multiScaleFlow: a conditional flow (contextSize) takes the context in its couplings only; use prior: 'standard'");
  if (prior === 'standard' && options.priorHidden !== undefined) throw new ConfigError("multiScaleFlow: priorHidden applies to prior: 'conditional' only");
  if (options.base !== undefined && !(options.base instanceof Distribution))
    throw new ConfigError(`multiScaleFlow: base must be a Distribution, got ${typeof options.base}`);
  const conditioner = options.conditioner ?? 'conv';
  if (conditioner !== 'conv' && conditioner !== 'gated-residual')
    throw new ConfigError(`multiScaleFlow: conditioner must be 'conv' or 'gated-residual', got '${String(conditioner)}'`);
  if (conditioner === 'conv' && options.blocks !== undefined) throw new ConfigError("multiScaleFlow: blocks applies to conditioner: 'gated-residual' only");
  if (conditioner === 'gated-residual' && options.hidden !== undefined && options.hidden.length !== 1)
    throw new ConfigError(
      `multiScaleFlow: with conditioner: 'gated-residual', hidden is one entry (the residual stream's channels), got [${options.hidden.join(', ')}]`,
    );
  const random = new Random(options.seed ?? 0);
  // The couplings' networks map the C channels (and the context's) to C: one pair per coupling.
  const networks = (channels: number) => {
    if (conditioner === 'conv') return {};
    const make = () =>
      new GatedResidualConvNet({
        inputChannels: channels + (options.contextSize ?? 0),
        outputChannels: channels,
        channels: options.hidden?.[0] ?? 64,
        blocks: options.blocks ?? 2,
        seed: random.nextUint32(),
      });
    return { scale: make(), translation: make() };
  };
  // Built in the density direction (data → base); a Chain lists the forward direction, so each level is reversed.
  const flowSteps = (shape: [number, number, number]): Bijector[] => {
    const layers: Bijector[] = [];
    for (let i = 0; i < steps; i++) {
      layers.push(
        new ActNorm({ shape }),
        new InvertibleConv1x1({ shape, seed: random.nextUint32() }),
        new MaskedAffineCoupling({
          mask: channelMask(shape[0], shape[1], shape[2], i % 2 === 0),
          eventShape: shape,
          ...(conditioner === 'conv' ? { hidden: options.hidden ?? [64, 64] } : networks(shape[2])),
          contextSize: options.contextSize,
          seed: random.nextUint32(),
        }),
      );
    }
    return layers;
  };
  if (prior === 'conditional') return conditionalLevels(options, levels, flowSteps, random);
  const level = (h: number, w: number, c: number, remaining: number): Bijector => {
    const shape: [number, number, number] = [h / 2, w / 2, 4 * c];
    const densityOrder: Bijector[] = [new Squeeze({ shape: [h, w, c] }), ...flowSteps(shape)];
    if (remaining > 1) {
      const keep = shape[2] / 2;
      densityOrder.push(new FactorOut({ shape, keepChannels: keep, inner: level(shape[0], shape[1], keep, remaining - 1) }));
    }
    return new Chain(densityOrder.reverse());
  };
  const bijector = level(height, width, channels, levels);
  const shape = bijector.eventShape as number[];
  const base = options.base ?? new StandardNormal(shape);
  if (base.eventShape.join(',') !== shape.join(',')) {
    bijector.dispose();
    throw new ConfigError(`multiScaleFlow: the base has events of shape [${base.eventShape.join(', ')}]; this flow's base side has [${shape.join(', ')}]`);
  }
  return new TransformedDistribution(base, bijector);
}

/**
 * The levels of {@link multiScaleFlow} with `prior: 'conditional'`, nested as distributions
 * ({@link nestedImageLevels}): each level's factored channels under a `ConvConditionalNormal` given
 * the kept ones, the last level's output under a learned diagonal normal (or `base`).
 */
function conditionalLevels(
  options: MultiScaleOptions,
  levels: number,
  flowSteps: (shape: [number, number, number]) => Bijector[],
  random: Random,
): TransformedDistribution {
  const [height, width, channels] = options.shape;
  // Each level but the last halves the values that go on: the last level's output holds 2·H·W·C / 2^levels.
  const lastSize = (height * width * channels * 2) / 2 ** levels;
  if (options.base !== undefined && options.base.eventShape.join(',') !== String(lastSize))
    throw new ConfigError(`multiScaleFlow: the base has events of shape [${options.base.eventShape.join(', ')}]; the last level's base side has [${lastSize}]`);
  return nestedImageLevels([height, width, channels], levels, {
    steps: flowSteps,
    factored: (shape, keptChannels) =>
      new ConvConditionalNormal({ shape, contextChannels: keptChannels, hidden: options.priorHidden, seed: random.nextUint32() }),
    lastBase: (size) => options.base ?? new DiagonalNormal({ size }),
  });
}
