export { fit, negativeLogLikelihoodLoss, TrainingDataError, type Trainable, type FitOptions, type FitResult, type EpochEnd } from './fit.js';
export { NonFiniteLossError, DivergenceError, type SettingNames } from './loss-errors.js';
export type { FitProgress } from './loss-monitor.js';
export { tensorData, samplerData, splitRows, type Batch, type TrainingData } from './data.js';
export { TrainingRun, TrainingRunError, settingDifferences, type TrainingRunOptions } from './training-run.js';
export {
  meanNegativeLogLikelihood,
  meanNegativeLogLikelihoodAsync,
  bitsPerDimension,
  klFromTarget,
  klFromTargetAsync,
  type KlEstimate,
  type KlOptions,
} from './metrics.js';
export {
  reverseKLLoss,
  fitReverseKL,
  estimateLogNormalizer,
  distill,
  type LogDensity,
  type ReverseKLOptions,
  type DistillOptions,
} from './variational.js';
export { classifierTwoSampleTest, type C2stOptions, type C2stResult } from './c2st.js';
export { sampleMoments, relativeFrobeniusError } from './sample-moments.js';
