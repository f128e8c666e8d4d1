import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { AffineTransformer, MaskedAffineCoupling, TransformerCoupling } from '@flows/bijectors';
import { describeBijectorConformance } from '@flows/bijectors/testing/vitest';
import { RationalQuadraticSpline } from '@flows/bijector-spline';
import { EmbeddedContext, StandardNormal, TransformedDistribution } from '@flows/distributions';
import { describeDistributionConformance } from '@flows/distributions/testing/vitest';
import { MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { registerTorchImport } from './register.js';
import { TorchAutoregressive } from './torch-autoregressive.js';
import { TorchNetwork, type TorchNetworkOptions } from './torch-network.js';

registerTorchImport();

/** MADE degrees as nflows assigns them: inputs 1…D, hidden units cyclically 1…D−1, for `layers` hidden layers. */
function nflowsDegrees(features: number, hidden: number, layers: number, outputsPerInput: number) {
  const unit = Array.from({ length: hidden }, (_, k) => (k % Math.max(1, features - 1)) + Math.min(1, features - 1));
  return { inputs: Array.from({ length: features }, (_, i) => i + 1), hidden: Array.from({ length: layers }, () => [...unit]), outputsPerInput };
}

const residualMade = (options: Partial<TorchNetworkOptions>, outputsPerInput: number) =>
  new TorchNetwork({
    inputSize: 3,
    outputSize: 3 * outputsPerInput,
    hidden: 8,
    blocks: 2,
    residual: true,
    degrees: nflowsDegrees(3, 8, 5, outputsPerInput),
    ...options,
  });

describeBijectorConformance(
  'TorchAutoregressive, residual MADE with the context added in blocks (nflows)',
  () =>
    new TorchAutoregressive({
      transformer: new AffineTransformer({ scale: 'softplus' }),
      network: residualMade({ contextSize: 2, contextEntry: 'activated', blockContext: 'add' }, 2),
    }),
  { contextSize: 2 },
);
describeBijectorConformance(
  'TorchAutoregressive, spline, residual MADE gated by the context (normflows)',
  () =>
    new TorchAutoregressive({
      transformer: new RationalQuadraticSpline({ bins: 4, bound: 3, parameterization: 'nflows' }),
      network: residualMade({ contextSize: 1, blockContext: 'gate' }, 11),
    }),
  { contextSize: 1, perturbation: 0.3 },
);
describeBijectorConformance(
  'TorchAutoregressive, feed-forward MADE without the first activation (normflows)',
  () =>
    new TorchAutoregressive({
      transformer: new AffineTransformer({ logScaleBound: null }),
      network: new TorchNetwork({ inputSize: 3, outputSize: 6, hidden: 6, blocks: 1, initialActivation: false, degrees: nflowsDegrees(3, 6, 2, 2) }),
    }),
);
describeBijectorConformance(
  'TransformerCoupling with a gated residual TorchNetwork (nflows ResidualNet)',
  () =>
    new TransformerCoupling({
      mask: [1, 0, 1],
      contextSize: 2,
      transformer: new AffineTransformer({ scale: 'sigmoid' }),
      conditioner: new TorchNetwork({ inputSize: 3, contextSize: 2, outputSize: 6, hidden: 8, blocks: 1, residual: true, blockContext: 'gate' }),
    }),
  { contextSize: 2 },
);

const normalContext = (width: number) => (random: Random, n: number) => tf.tensor2d(random.fillNormal(new Float32Array(n * width), 0, 1), [n, width]);

describeDistributionConformance(
  'EmbeddedContext (nflows embedding_net)',
  () =>
    new EmbeddedContext(
      new TransformedDistribution(new StandardNormal(2), new MaskedAffineCoupling({ mask: [1, 0], hidden: [6], contextSize: 3, seed: 4 })),
      new MLP({ inputSize: 2, outputSize: 3, hidden: [5], activation: 'tanh', zeroInitLast: false, seed: 5 }),
    ),
  { support: { kind: 'grid', low: -9, high: 9 }, context: normalContext(2) },
);

describe('TorchNetwork', () => {
  it('with degrees, an output depends only on inputs of lower degree, and on the context', () => {
    const network = residualMade({ contextSize: 1, contextEntry: 'activated', blockContext: 'add', activation: 'tanh' }, 2);
    const random = new Random(3);
    for (const v of network.trainableVariables) v.assign(tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.5), v.shape));
    const x = tf.tensor2d([[0.3, -0.2, 0.9, 0.4]]);
    for (let out = 0; out < 6; out++) {
      const g = tf
        .grad((input: tf.Tensor) => tf.sum(tf.slice(network.apply(input as tf.Tensor2D), [0, out], [1, 1])))(x)
        .dataSync();
      const degree = Math.floor(out / 2) + 1;
      for (let j = 0; j < 3; j++) expect(g[j] !== 0, `output ${out}, input ${j}`).toBe(j + 1 < degree);
      expect(g[3] !== 0, `output ${out}, context`).toBe(degree > 1);
    }
    network.dispose();
  });

  it('rejects degrees that do not fit its layers', () => {
    expect(
      () => new TorchNetwork({ inputSize: 2, outputSize: 4, hidden: 3, blocks: 1, degrees: { inputs: [1, 2], hidden: [[1, 1, 1]], outputsPerInput: 2 } }),
    ).toThrow(/degrees.hidden must hold 2 layers of 3/);
    expect(() => new TorchNetwork({ inputSize: 2, outputSize: 4, hidden: 3, blocks: 0, blockContext: 'gate' })).toThrow(/residual blocks only/);
  });
});
