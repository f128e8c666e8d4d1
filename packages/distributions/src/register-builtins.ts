import { isRegistered } from '@flows/core';
import { Bernoulli } from './bernoulli.js';
import { ConditionalMixtureOfDiscretizedLogistics } from './conditional-discretized-logistic-mixture.js';
import { ConditionalDiagonalNormal } from './conditional-distribution.js';
import { ConvConditionalNormal } from './conv-conditional-normal.js';
import { DiscretizedLogistic, MixtureOfDiscretizedLogistics } from './discretized-logistic.js';
import { EmbeddedContext } from './embedded-context.js';
import { registerDistribution } from './distribution-registry.js';
import { Logistic } from './logistic.js';
import { MixtureOfGaussians } from './mixture-of-gaussians.js';
import { DiagonalNormal, StandardNormal } from './normal.js';
import { FactorOutDistribution } from './factor-out-distribution.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { Uniform } from './uniform.js';
import { VonMises } from './von-mises.js';

/** Every distribution class of this package. */
export const BUILTIN_DISTRIBUTIONS = [
  StandardNormal,
  DiagonalNormal,
  Uniform,
  MixtureOfGaussians,
  Logistic,
  Bernoulli,
  DiscretizedLogistic,
  MixtureOfDiscretizedLogistics,
  ConditionalDiagonalNormal,
  ConvConditionalNormal,
  ConditionalMixtureOfDiscretizedLogistics,
  FactorOutDistribution,
  TransformedDistribution,
  VonMises,
  EmbeddedContext,
] as const;

/**
 * Registers this package's distributions with the registry of `@flows/core`, so that saved models
 * naming them load. The package's entry point calls it when imported; calling it again does nothing.
 */
export function registerBuiltinDistributions(): void {
  for (const distributionClass of BUILTIN_DISTRIBUTIONS) {
    if (!isRegistered('distribution', distributionClass.className)) registerDistribution(distributionClass);
  }
}
