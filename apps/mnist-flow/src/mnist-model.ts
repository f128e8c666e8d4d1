import { ContinuousFlow, MLPVectorField, type SolverOptions } from '@flows/continuous';
import { DiagonalNormal, type Distribution } from '@flows/distributions';
import { multiScaleFlow, realNVP } from '@flows/flows';

/** The architectures of `--architecture`. */
export const ARCHITECTURES = ['coupling', 'multiscale', 'cnf'] as const;

/** One of {@link ARCHITECTURES}. */
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * The settings that define the model (the rest of a run's settings steer the training): a
 * resumed run keeps the checkpoint's, and only these are needed to build the same flow again.
 */
export interface ModelSettings {
  /** The learnable per-pixel factor on the scale (`--fixed-scale` turns it off); null for cnf. */
  scaleFactor: boolean | null;
  /** null for cnf. */
  mask: 'random' | 'checkerboard' | null;
  /** null for cnf. */
  layers: number | null;
  /** The coupling networks' widths, or (cnf) the vector field's. */
  hidden: number[];
  /** The logit preprocessing's α, or null for the exercise's dequantization. */
  logit: number | null;
  conditional: boolean;
  architecture: Architecture;
  /** multiscale only (null otherwise). */
  stepsPerLevel: number | null;
  /** multiscale only (null otherwise). */
  channels: number[] | null;
  /**
   * multiscale only: `'conditional'` for Glow's learned priors of the factored-out channels
   * (`--prior conditional`); null for standard normal ones (`--prior standard`, and every run from
   * before the option), so that older checkpoints resume with the prior they were trained with.
   */
  factorPrior?: 'conditional' | null;
  /**
   * multiscale only: `'gated-residual'` for Flow++'s coupling networks (`--conditioner
   * gated-residual`, `channels` one entry); null for ConvNets (and every run from before the option).
   */
  conditioner?: 'gated-residual' | null;
  /** With `conditioner: 'gated-residual'`: blocks per network (`--blocks`); null otherwise. */
  blocks?: number | null;
  /**
   * multiscale only: `'variational'` when the flow trains with Flow++'s noise flow q(u | x)
   * (`--dequantization variational`, the checkpoint holding both); null for uniform noise (and every
   * run from before the option).
   */
  dequantization?: 'variational' | null;
}

/** The names of {@link ModelSettings}, which a checkpoint's settings win over the options' on `--allow-option-changes`. */
export const MODEL_SETTINGS = [
  'scaleFactor',
  'mask',
  'layers',
  'hidden',
  'logit',
  'conditional',
  'architecture',
  'stepsPerLevel',
  'channels',
  'factorPrior',
  'conditioner',
  'blocks',
  'dequantization',
] as const satisfies readonly (keyof ModelSettings)[];

/** Fourier pairs of the time input of a cnf's vector field (sin and cos of πt and 2πt, as toy-flow's). */
export const CNF_TIME_FEATURES = 2;

/**
 * The solver a cnf samples and scores with: Dormand-Prince 5(4) at rtol = atol = 1e-5. On the toys
 * of `@flows/continuous` 1e-5 was converged for the KL at two thirds of the cost of the package's
 * default 1e-6; at 784 dimensions every function evaluation is a pass of the field over the batch.
 */
export const CNF_SOLVER: SolverOptions = { method: 'dopri5', rtol: 1e-5, atol: 1e-5 };

/** Per-pixel mean and log standard deviation of the training images in the model's space (a cnf's base). */
export interface PixelStatistics {
  mean: number[];
  logScale: number[];
}

/**
 * The flow a new run trains: Real NVP with fully connected couplings on the 784 pixels (tanh on
 * the scale, checkerboard or random masks), a two-level multi-scale Glow with convolutional
 * couplings on 28 × 28 × 1 images (with `prior: 'conditional'`, Glow's learned priors of the
 * factored channels, their networks one hidden convolution of the couplings' first width; with
 * `conditioner: 'gated-residual'`, Flow++'s gated residual coupling networks),
 * class-conditional on the one-hot digit with `conditional`; or a
 * continuous flow (cnf) whose vector field is an MLP of the `hidden` widths on the 784 pixels and
 * the time, from a normal base with the training images' per-pixel mean and standard deviation
 * (`statistics`, fixed: the same as standardizing the images, an affine map, so the field learns
 * what the images add to a per-pixel Gaussian instead of moving every pixel by its mean).
 */
export function buildModel(settings: ModelSettings, seed: number, statistics?: PixelStatistics): Distribution {
  const contextSize = settings.conditional ? 10 : 0;
  if (settings.architecture === 'cnf') {
    if (!statistics) throw new Error('buildModel: a cnf needs the pixel statistics of its base');
    const field = new MLPVectorField({ size: 784, hidden: settings.hidden, timeFeatures: CNF_TIME_FEATURES, seed });
    const base = new DiagonalNormal({ size: 784, mean: statistics.mean, logScale: statistics.logScale, trainable: false });
    return new ContinuousFlow({ field, base, solver: CNF_SOLVER, trace: { estimator: 'hutchinson', probe: 'rademacher', probes: 1, seed: 0 } });
  }
  if (settings.architecture === 'multiscale') {
    // A multiscale run's settings always hold its steps per level and channels.
    return multiScaleFlow({
      shape: [28, 28, 1],
      levels: 2,
      stepsPerLevel: settings.stepsPerLevel!,
      hidden: settings.channels!,
      ...(settings.conditioner === 'gated-residual' ? { conditioner: 'gated-residual' as const, blocks: settings.blocks ?? 2 } : {}),
      contextSize,
      seed,
      ...(settings.factorPrior === 'conditional' ? { prior: 'conditional' as const, priorHidden: settings.channels!.slice(0, 1) } : {}),
    });
  }
  // A coupling run's settings always hold its mask, layers and scale factor.
  return realNVP({
    size: 784,
    layers: settings.layers!,
    hidden: settings.hidden,
    mask: settings.mask!,
    imageShape: [28, 28],
    scaleTanh: true,
    learnableScaleFactor: settings.scaleFactor!,
    seed,
    contextSize,
  });
}
