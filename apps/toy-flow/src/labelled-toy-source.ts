import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { UsageError } from '@flows/cli-kit';
import { GaussianMixtureToy, TOY_NAMES, toyByName } from '@flows/datasets';
import { meanNegativeLogLikelihoodAsync, tensorData } from '@flows/flows';
import type { DataSource } from './data-source.js';
import { LabelMarginal, oneHotLabels } from './label-marginal.js';
import { densityOnGrid } from './pictures.js';
import type { ToySourceOptions } from './toy-source.js';

/**
 * A Gaussian-mixture toy with the component of each point as the context (one-hot), for a
 * conditional flow p(x | component): the test NLL is conditional, and the pictures show the
 * model's marginal over the components ({@link LabelMarginal}).
 */
export function openLabelledToySource(data: string, options: ToySourceOptions): DataSource {
  const toy = TOY_NAMES.includes(data) ? toyByName(data) : null;
  if (!(toy instanceof GaussianMixtureToy)) {
    throw new UsageError(`--conditional needs a toy with labelled components (two-gaussians, eight-gaussians), got '${data}'`);
  }
  const count = toy.components.length;
  const weights = toy.components.map((c) => c.weight);
  return {
    name: data,
    fresh: true,
    size: 2,
    standardization: null,
    dataPoints: null,
    labels: count,
    entropy: toy.conditionalEntropy,
    target: toy,
    range: toy.plotRange,
    train: {
      size: options.trainSize,
      *batches(batchSize: number, random: Random) {
        for (let start = 0; start < options.trainSize; start += batchSize) {
          const { x, labels } = toy.sampleLabelled(Math.min(batchSize, options.trainSize - start), random);
          yield { x, context: oneHotLabels(labels, count) };
        }
      },
    },
    testNll: async (model) => {
      const { x, labels } = toy.sampleLabelled(options.testSize, new Random(options.seed + 1_000_003));
      const context = oneHotLabels(labels, count);
      const nll = await meanNegativeLogLikelihoodAsync(model, tensorData(x, context), { batchSize: 10_000 });
      tf.dispose([x, context]);
      return nll;
    },
    sampleModel: async (model, n, seed) => {
      const samples = new LabelMarginal(model, weights).sample(n, { random: seed });
      const values = (await samples.data()) as Float32Array;
      samples.dispose();
      return values;
    },
    pictureModel: (model) => new LabelMarginal(model, weights),
    reference: () => densityOnGrid(toy, toy.plotRange),
    dispose: () => toy.dispose(),
  };
}
