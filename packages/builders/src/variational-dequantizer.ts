import { assertKnownOptions, assertPositiveInteger, type Bijector, ConfigError, optionNames, Random } from '@flows/core';
import { Chain, imageCheckerboardMask, MaskedAffineCoupling, Reshape } from '@flows/bijectors';
import { ConvConditionalNormal, TransformedDistribution } from '@flows/distributions';

/** Options of {@link variationalDequantizer}. */
export interface VariationalDequantizerOptions {
  /** The images' shape `[H, W, C]`. */
  shape: [number, number, number];
  /** Channels of the hidden convolutions of the network that computes the base's mean and scale from x (default [32]). */
  hidden?: number[];
  /** Affine coupling steps on the noise after the conditional base (default 2; 0 gives a logit-normal q). */
  steps?: number;
  /** Channels of the couplings' `ConvNet` conditioners (default [32]). */
  couplingHidden?: number[];
  seed?: number;
}

const OPTION_NAMES = optionNames<VariationalDequantizerOptions>()(['shape', 'hidden', 'steps', 'couplingHidden', 'seed']);

/**
 * The dequantizer q(z | x) of a {@link VariationalDequantization} over `[H, W, C]` images, a
 * conditional flow on flat rows of the D = H·W·C noise values given the image x (Ho et al. 2019,
 * Flow++, §3.1):
 *
 * - base: z₀ ~ N(μ(x), diag σ(x)²), μ and log σ per pixel and channel from a convolutional network
 *   of x (`ConvConditionalNormal`, the image as its context channels);
 * - then `steps` affine couplings on z (spatial checkerboards of alternating parity, `ConvNet`
 *   conditioners), which make q more than a per-pixel logit-normal: it can correlate neighbouring
 *   pixels' noise and bend its shape within each bin.
 *
 * In Flow++ every coupling of q also sees features of x; here only the base does, which keeps q a
 * composition of the library's parts. The couplings start as the identity and the base as
 * N(0, I) (u = σ(z) then has its mass in the middle of the bin, not uniform): train q with the model.
 */
export function variationalDequantizer(options: VariationalDequantizerOptions): TransformedDistribution {
  assertKnownOptions(options, OPTION_NAMES, 'variationalDequantizer');
  const { shape } = options;
  if (!Array.isArray(shape) || shape.length !== 3)
    throw new ConfigError(`variationalDequantizer: shape must be [height, width, channels], got ${JSON.stringify(shape)}`);
  shape.forEach((d, i) => assertPositiveInteger(d, 'variationalDequantizer', `shape[${i}]`));
  const steps = options.steps ?? 2;
  if (!Number.isInteger(steps) || steps < 0) throw new ConfigError(`variationalDequantizer: steps must be a whole number ≥ 0, got ${steps}`);
  const [height, width, channels] = shape;
  if (steps > 0 && height * width < 2) throw new ConfigError('variationalDequantizer: couplings need at least two pixels; use steps: 0 for a single pixel');
  const size = height * width * channels;
  const random = new Random(options.seed ?? 0);
  const base = new ConvConditionalNormal({ shape, contextChannels: channels, hidden: options.hidden ?? [32], seed: random.nextUint32() });
  const couplings: Bijector[] = [];
  for (let i = 0; i < steps; i++) {
    couplings.push(
      new MaskedAffineCoupling({
        mask: imageCheckerboardMask(height, width, channels, (i % 2) as 0 | 1),
        eventShape: shape,
        hidden: options.couplingHidden ?? [32],
        seed: random.nextUint32(),
      }),
    );
  }
  // Forward (base → noise): the flat base row as an image, the couplings, the image as a flat row again.
  const bijector = new Chain([new Reshape({ baseShape: [size], dataShape: shape }), ...couplings, new Reshape({ baseShape: shape, dataShape: [size] })]);
  return new TransformedDistribution(base, bijector);
}
