export {
  selectBackend,
  describeBackend,
  BACKEND_ORDER,
  BACKEND_ENV_VARIABLE,
  type BackendName,
  type BackendChoice,
  type BackendOptions,
} from './backend/select-backend.js';
export {
  realNVP,
  nice,
  maf,
  multiScaleFlow,
  integerDiscreteFlow,
  type IntegerFlowOptions,
  type MultiScaleOptions,
  layerMask,
  MASK_STRATEGIES,
  type MaskStrategy,
  type RealNVPOptions,
  type CouplingFlowOptions,
  type MAFOptions,
} from './builders/flow-builders.js';
export { Adam, type AdamOptions, type AdamState } from './optimizers/adam.js';
export { schedules, type LearningRateSchedule } from './optimizers/schedules.js';
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
} from './training/fit.js';
export { tensorData, samplerData, splitRows, type Batch, type TrainingData } from './training/data.js';
export { TrainingRun, TrainingRunError, settingDifferences, type TrainingRunOptions } from './training/training-run.js';
export {
  meanNegativeLogLikelihood,
  meanNegativeLogLikelihoodAsync,
  bitsPerDimension,
  klFromTarget,
  klFromTargetAsync,
  type KlEstimate,
  type KlOptions,
} from './training/metrics.js';
export {
  saveModel,
  loadModel,
  loadModelFromUrl,
  serializeModel,
  modelFiles,
  modelFromFiles,
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
} from './io/model-files.js';
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
} from './io/directory-lock.js';
export {
  reverseKLLoss,
  fitReverseKL,
  estimateLogNormalizer,
  distill,
  type LogDensity,
  type ReverseKLOptions,
  type DistillOptions,
} from './training/variational.js';
