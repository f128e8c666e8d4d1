export type { BinarizedMnistCheck, Mnist8BitCheck, MnistDensityCheck, ModelCard, ToyCheck } from './model-card.js';
export {
  loadPretrained,
  PRETRAINED_NAMES,
  PRETRAINED_PREFIX,
  pretrainedCard,
  pretrainedDirectory,
  pretrainedModelUrl,
  pretrainedName,
} from './pretrained.js';
