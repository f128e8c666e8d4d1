import { assertKnownOptions, type Bijector, ConfigError, optionNames, Random } from '@flows/core';
import { ActNorm, Chain, channelMask, FactorOut, InvertibleConv1x1, MaskedAffineCoupling, Squeeze } from '@flows/bijectors';
import { Distribution, StandardNormal, TransformedDistribution } from '@flows/distributions';

/** Options of {@link multiScaleFlow}. */
export interface MultiScaleOptions {
  /** Data shape `[H, W, C]`; H and W must be divisible by 2^levels. */
  shape: [number, number, number];
  /** Squeeze levels (default 2); after each but the last, half the channels are factored out. */
  levels?: number;
  /** Flow steps per level (default 4): ActNorm, invertible 1 × 1 convolution, affine coupling. */
  stepsPerLevel?: number;
  /** Channels of each coupling's ConvNet conditioners (default [64, 64]). */
  hidden?: number[];
  /** Context width for conditional flows (default 0); it reaches every coupling as extra channels. */
  contextSize?: number;
  seed?: number;
  /**
   * The base distribution (default a standard normal) of the base-side events, the H·W·C
   * coordinates flattened (`flow.bijector.eventShape`). The flow owns it from then on; when the
   * builder refuses its options, the base is left as it was given.
   */
  base?: Distribution;
}

const MULTI_SCALE_OPTION_NAMES = optionNames<MultiScaleOptions>()(['shape', 'levels', 'stepsPerLevel', 'hidden', 'contextSize', 'seed', 'base']);

/**
 * A multi-scale Glow-style flow (Dinh et al. 2017; Kingma and Dhariwal 2018) on images. In the
 * density direction each level squeezes (2 × 2 × c → 1 × 1 × 4c), runs `stepsPerLevel` steps of
 * ActNorm → InvertibleConv1x1 → MaskedAffineCoupling (channel masks alternating, ConvNet
 * conditioners), then factors out half the channels to the base and passes the rest to the next
 * level. The base is a standard normal on the flattened factored dimensions (or `base`); sample
 * at a temperature with `sample(n, { temperature })`.
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
  const random = new Random(options.seed ?? 0);
  // Built in the density direction (data → base); a Chain lists the forward direction, so each level is reversed.
  const level = (h: number, w: number, c: number, remaining: number): Bijector => {
    const shape: [number, number, number] = [h / 2, w / 2, 4 * c];
    const densityOrder: Bijector[] = [new Squeeze({ shape: [h, w, c] })];
    for (let i = 0; i < steps; i++) {
      densityOrder.push(
        new ActNorm({ shape }),
        new InvertibleConv1x1({ shape, seed: random.nextUint32() }),
        new MaskedAffineCoupling({
          mask: channelMask(shape[0], shape[1], shape[2], i % 2 === 0),
          eventShape: shape,
          hidden: options.hidden ?? [64, 64],
          contextSize: options.contextSize,
          seed: random.nextUint32(),
        }),
      );
    }
    if (remaining > 1) {
      const keep = shape[2] / 2;
      densityOrder.push(new FactorOut({ shape, keepChannels: keep, inner: level(shape[0], shape[1], keep, remaining - 1) }));
    }
    return new Chain(densityOrder.reverse());
  };
  if (options.base !== undefined && !(options.base instanceof Distribution))
    throw new ConfigError(`multiScaleFlow: base must be a Distribution, got ${typeof options.base}`);
  const bijector = level(height, width, channels, levels);
  const shape = bijector.eventShape as number[];
  const base = options.base ?? new StandardNormal(shape);
  if (base.eventShape.join(',') !== shape.join(',')) {
    bijector.dispose();
    throw new ConfigError(`multiScaleFlow: the base has events of shape [${base.eventShape.join(', ')}]; this flow's base side has [${shape.join(', ')}]`);
  }
  return new TransformedDistribution(base, bijector);
}
