export { selectBackend, describeBackend, BACKEND_ORDER, BACKEND_ENV_VARIABLE, type BackendName, type BackendChoice, type BackendOptions } from './backend.js';
export {
  realNVP,
  nice,
  maf,
  multiScaleFlow,
  type MultiScaleOptions,
  layerMask,
  MASK_STRATEGIES,
  type MaskStrategy,
  type RealNVPOptions,
  type CouplingFlowOptions,
  type MAFOptions,
} from './builders.js';
export { Adam, schedules, type AdamOptions, type AdamState, type LearningRateSchedule } from './optimizer.js';
export {
  fit,
  negativeLogLikelihoodLoss,
  NonFiniteLossError,
  DivergenceError,
  TrainingDataError,
  type Trainable,
  type FitOptions,
  type FitResult,
  type FitProgress,
  type EpochEnd,
} from './fit.js';
export { tensorData, samplerData, splitRows, type Batch, type TrainingData } from './data.js';
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
  saveModel,
  loadModel,
  loadModelFromUrl,
  serializeModel,
  deserializeModel,
  validateModelFile,
  saveCheckpoint,
  loadCheckpoint,
  hasCheckpoint,
  writeFileAtomic,
  checksum,
  ModelFileError,
  MODEL_FORMAT_VERSION,
  type ModelFile,
  type Checkpoint,
  type Saveable,
  type Rebuild,
} from './io.js';
export {
  acquireDirectoryLock,
  acquireRunLock,
  prepareOutputDirectory,
  removeOrphanedTemporaries,
  processIsAlive,
  DirectoryLockedError,
  OutputDirectoryError,
  type DirectoryLock,
  type LockOwner,
  type LockOptions,
} from './directory-lock.js';
export { reverseKLLoss, fitReverseKL, estimateLogNormalizer, distill, type LogDensity, type ReverseKLOptions, type DistillOptions } from './variational.js';
