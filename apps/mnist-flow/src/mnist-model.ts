import type { Distribution } from '@flows/distributions';
import { multiScaleFlow, realNVP } from '@flows/flows';

/**
 * The settings that define the model (the rest of a run's settings steer the training): a
 * resumed run keeps the checkpoint's, and only these are needed to build the same flow again.
 */
export interface ModelSettings {
  /** The learnable per-pixel factor on the scale (`--fixed-scale` turns it off). */
  scaleFactor: boolean;
  mask: 'random' | 'checkerboard';
  layers: number;
  hidden: number[];
  /** The logit preprocessing's α, or null for the exercise's dequantization. */
  logit: number | null;
  conditional: boolean;
  architecture: 'coupling' | 'multiscale';
  /** multiscale only (null otherwise). */
  stepsPerLevel: number | null;
  /** multiscale only (null otherwise). */
  channels: number[] | null;
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
] as const satisfies readonly (keyof ModelSettings)[];

/**
 * The flow a new run trains: Real NVP with fully connected couplings on the 784 pixels (tanh on
 * the scale, checkerboard or random masks), or a two-level multi-scale Glow with convolutional
 * couplings on 28 × 28 × 1 images; class-conditional on the one-hot digit with `conditional`.
 */
export function buildModel(settings: ModelSettings, seed: number): Distribution {
  const contextSize = settings.conditional ? 10 : 0;
  if (settings.architecture === 'multiscale') {
    // A multiscale run's settings always hold its steps per level and channels.
    return multiScaleFlow({
      shape: [28, 28, 1],
      levels: 2,
      stepsPerLevel: settings.stepsPerLevel!,
      hidden: settings.channels!,
      contextSize,
      seed,
    });
  }
  return realNVP({
    size: 784,
    layers: settings.layers,
    hidden: settings.hidden,
    mask: settings.mask,
    imageShape: [28, 28],
    scaleTanh: true,
    learnableScaleFactor: settings.scaleFactor,
    seed,
    contextSize,
  });
}
