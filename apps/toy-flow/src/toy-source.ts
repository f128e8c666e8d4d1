import { histogramOnGrid, toyByName } from '@flows/datasets';
import { meanNegativeLogLikelihoodAsync, samplerData } from '@flows/flows';
import { type DataSource, unconditionalSamples } from './data-source.js';
import { densityOnGrid, PANEL } from './pictures.js';

/** Options of the toy sources: fresh samples per epoch, held-out samples, the seed. */
export interface ToySourceOptions {
  trainSize: number;
  testSize: number;
  seed: number;
}

/**
 * A built-in toy: `trainSize` fresh samples an epoch (each batch drawn from the training
 * generator), a test of `testSize` samples of its own seed, and the exact density (or, for the
 * sample-only toys, a histogram of 500 000 samples) behind the pictures, in the toy's plot window.
 */
export function openToySource(name: string, options: ToySourceOptions): DataSource {
  const toy = toyByName(name);
  return {
    name,
    fresh: true,
    size: 2,
    standardization: null,
    dataPoints: null,
    labels: 0,
    entropy: toy.hasExactDensity ? toy.entropy() : null,
    sampleModel: unconditionalSamples,
    pictureModel: (model) => model,
    train: samplerData((n, random) => toy.sample(n, { random }), options.trainSize),
    testNll: async (model) => {
      const test = toy.sample(options.testSize, { random: options.seed + 1_000_003 });
      const nll = await meanNegativeLogLikelihoodAsync(model, test, { batchSize: 10_000 });
      test.dispose();
      return nll;
    },
    target: toy,
    range: toy.plotRange,
    reference: async () => {
      if (toy.hasExactDensity) return densityOnGrid(toy, toy.plotRange);
      const samples = toy.sample(500_000, { random: options.seed + 7 });
      const values = (await samples.data()) as Float32Array;
      samples.dispose();
      return histogramOnGrid(values, toy.plotRange, PANEL);
    },
    dispose: () => toy.dispose(),
  };
}
