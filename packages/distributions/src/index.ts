export { Distribution, NoClosedFormError, standardNormalTensor, uniformTensor, LOG_2PI, type SampleOptions, type SerializedDistribution } from './distribution.js';
export { StandardNormal, DiagonalNormal, type DiagonalNormalOptions } from './normal.js';
export { Uniform } from './uniform.js';
export { MixtureOfGaussians, type MixtureOfGaussiansOptions } from './mixture-of-gaussians.js';
export { Logistic } from './logistic.js';
export { Bernoulli } from './bernoulli.js';
export {
  DiscretizedLogistic,
  type DiscretizedLogisticOptions,
  MixtureOfDiscretizedLogistics,
  type MixtureOfDiscretizedLogisticsOptions,
  logSigmoidDifference,
} from './discretized-logistic.js';
export { ConditionalDistribution, ConditionalDiagonalNormal, type ConditionalDiagonalNormalOptions } from './conditional-distribution.js';
export { TransformedDistribution } from './transformed-distribution.js';
export { registerDistribution, distributionFromJSON, type DistributionFactory } from './registry.js';
