import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { ActNorm, AdditiveCoupling, Chain, ElementwiseScale, MaskedAffineCoupling, Permute } from '@flows/bijectors';
import { SplineCoupling } from '@flows/bijector-spline';
import { DiagonalNormal, StandardNormal, TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { UnsupportedArchitectureError } from './errors.js';
import { exportTorchFlow } from './export-flow.js';
import { importTorchFlow } from './import-flow.js';

/** A Real NVP / NICE of this project with random weights (fresh couplings are the identity). */
function projectFlow(): TransformedDistribution {
  const actNorm = new ActNorm({ size: 3 });
  const flow = new TransformedDistribution(
    new DiagonalNormal({ size: 3, mean: [0.2, -0.1, 0.3], logScale: [0.1, -0.2, 0.05] }),
    new Chain([
      new MaskedAffineCoupling({ mask: [1, 0, 1], hidden: [8, 8], activation: 'leakyRelu', seed: 1 }),
      new Permute({ size: 3, seed: 2 }),
      actNorm,
      new AdditiveCoupling({ mask: [0, 1, 0], hidden: [8], seed: 3 }),
      new ElementwiseScale({ size: 3, logScale: [0.3, -0.2, 0.1] }),
      new MaskedAffineCoupling({ mask: [0, 1, 1], hidden: [8], scaleTanh: false, seed: 4 }),
    ]),
  );
  const random = new Random(5);
  for (const v of flow.trainableVariables) tf.tidy(() => v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.3), v.shape))));
  tf.tidy(() => actNorm.initializeFrom(tf.tensor2d(random.fillNormal(new Float32Array(30), 0.5, 2), [10, 3])));
  return flow;
}

describe('exportTorchFlow (this project to normflows)', () => {
  it('writes a normflows state that imports back to the same flow', () => {
    const flow = projectFlow();
    const { weights, description } = exportTorchFlow(flow);
    expect(description).toMatchObject({ library: 'normflows', direction: 'base-to-data', features: 3 });
    const { model } = importTorchFlow(weights, description);
    const x = tf.tensor2d([
      [0.3, -1.2, 2.0],
      [-2.5, 0.4, 0.1],
      [1.1, 1.7, -0.6],
    ]);
    const [a, b] = [flow.logProb(x), model.logProb(x)];
    a.dataSync().forEach((v, i) => expect(b.dataSync()[i]).toBeCloseTo(v, 5));
    tf.dispose([x, a, b]);
    flow.dispose();
    model.dispose();
  });

  it('refuses what normflows has no counterpart for, naming the class', () => {
    const spline = new TransformedDistribution(new StandardNormal(2), new SplineCoupling({ mask: [1, 0], hidden: [4], seed: 1 }));
    expect(() => exportTorchFlow(spline)).toThrow(UnsupportedArchitectureError);
    expect(() => exportTorchFlow(spline)).toThrow(/^flows SplineCoupling: no normflows counterpart is written for this class/);
    const tanh = new TransformedDistribution(new StandardNormal(2), new MaskedAffineCoupling({ mask: [1, 0], hidden: [4], activation: 'tanh', seed: 1 }));
    expect(() => exportTorchFlow(tanh)).toThrow(/^flows MaskedAffineCoupling: the tanh activation/);
    const conditional = new TransformedDistribution(new StandardNormal(2), new MaskedAffineCoupling({ mask: [1, 0], hidden: [4], contextSize: 1, seed: 1 }));
    expect(() => exportTorchFlow(conditional)).toThrow(/^flows MaskedAffineCoupling: a context/);
    for (const model of [spline, tanh, conditional]) model.dispose();
  });
});
