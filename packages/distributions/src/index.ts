import { registerBuiltinDistributions } from './register-builtins.js';
import { registerVariationalDequantization } from './variational-dequantization.js';

export {
  Distribution,
  NoClosedFormError,
  standardNormalTensor,
  uniformTensor,
  LOG_2PI,
  type SampleOptions,
  type SerializedDistribution,
} from './distribution.js';
export { StandardNormal, type StandardNormalConfig, DiagonalNormal, type DiagonalNormalOptions, type DiagonalNormalConfig } from './normal.js';
export { Uniform, type UniformConfig } from './uniform.js';
export {
  VonMises,
  type VonMisesOptions,
  type VonMisesConfig,
  logBesselI0,
  logBesselI0e,
  logBesselI0Value,
  scaledBesselI,
  vonMisesLogNormalizer,
  sampleVonMises,
  wrapAngle,
} from './von-mises.js';
export { MixtureOfGaussians, type MixtureOfGaussiansOptions, type MixtureOfGaussiansConfig } from './mixture-of-gaussians.js';
export { Logistic, type LogisticConfig } from './logistic.js';
export { Bernoulli, type BernoulliConfig } from './bernoulli.js';
export {
  DiscretizedLogistic,
  type DiscretizedLogisticOptions,
  type DiscretizedLogisticConfig,
  MixtureOfDiscretizedLogistics,
  type MixtureOfDiscretizedLogisticsOptions,
  type MixtureOfDiscretizedLogisticsConfig,
  logSigmoidDifference,
} from './discretized-logistic.js';
export {
  ConditionalDistribution,
  ConditionalDiagonalNormal,
  type ConditionalDiagonalNormalOptions,
  type ConditionalDiagonalNormalConfig,
} from './conditional-distribution.js';
export {
  ConditionalMixtureOfDiscretizedLogistics,
  type ConditionalMixtureOfDiscretizedLogisticsOptions,
  type ConditionalMixtureOfDiscretizedLogisticsConfig,
  type ConditionalMixtureParameters,
} from './conditional-discretized-logistic-mixture.js';
export { ConvConditionalNormal, type ConvConditionalNormalOptions, type ConvConditionalNormalConfig } from './conv-conditional-normal.js';
export { FactorOutDistribution, type FactorOutDistributionOptions, type FactorOutDistributionConfig } from './factor-out-distribution.js';
export { TransformedDistribution, type TransformedDistributionConfig } from './transformed-distribution.js';
export {
  VariationalDequantization,
  registerVariationalDequantization,
  type VariationalDequantizationOptions,
  type VariationalDequantizationConfig,
  type ImportanceWeightedOptions,
} from './variational-dequantization.js';
export { importanceWeightedBound } from './importance-weighting.js';
export { EmbeddedContext, type EmbeddedContextConfig } from './embedded-context.js';
export { registerDistribution, registeredDistributions, distributionFromJSON, type DistributionFactory } from './distribution-registry.js';
export { registerBuiltinDistributions, BUILTIN_DISTRIBUTIONS } from './register-builtins.js';

// Saved models name their distributions; importing the package makes its own loadable.
registerBuiltinDistributions();
registerVariationalDequantization();
