export { ToyDistribution, NoExactDensityError } from './toy.js';
export { GaussianMixtureToy, twoGaussians, eightGaussians, type Component2D } from './gaussian-mixture-toy.js';
export { Chequerboard } from './chequerboard.js';
export { Rings } from './rings.js';
export { SampleOnlyToy, twoMoons, pinwheel, swissRoll, twoSpirals } from './sample-only-toys.js';
export { toyByName, TOY_NAMES } from './toys.js';
export { parseIdx, encodeIdx, readIdxFile, DataFileError, type IdxArray } from './idx.js';
export { loadMnist, defaultMnistDirectory, type MnistSplit, type MnistOptions } from './mnist.js';
export { imageBatches, binWidth, type ImageView, type ImageBatch, type ImageBatchOptions, type RawImages } from './image-batches.js';
