// Each monotone transformer in the two layers of @flows/bijectors that take a transformer, through
// the conformance kit: a coupling (its inverse, the density direction, runs the root search), the
// same coupling with the transformer inverted, and a MAF (its forward, sampling, runs the search
// in D sequential passes). Inputs reach past the bound, so the linear tails are checked too.
import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON, MaskedAutoregressive, type Transformer, TransformerCoupling } from '@flows/bijectors';
import { describeBijectorConformance } from '@flows/bijectors/testing/vitest';
import { describe, expect, it } from 'vitest';
import {
  BernsteinTransformer,
  DeepSigmoidalTransformer,
  InvertedTransformer,
  registerMonotoneTransformers,
  SumOfSquaresTransformer,
  UMNNTransformer,
} from './index.js';

registerMonotoneTransformers();

const wide = (random: { fillUniform(a: Float32Array, l: number, h: number): Float32Array }, shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -4, 4), shape);

// Bound 3 with inputs in [−4, 4]: some coordinates are in the linear tails.
const TRANSFORMERS: [string, () => Transformer][] = [
  ['UMNNTransformer', () => new UMNNTransformer({ bound: 3, hidden: 4, panels: 16 })],
  ['SumOfSquaresTransformer', () => new SumOfSquaresTransformer({ bound: 3, squares: 2, degree: 3 })],
  ['BernsteinTransformer', () => new BernsteinTransformer({ bound: 3, degree: 8 })],
  ['DeepSigmoidalTransformer', () => new DeepSigmoidalTransformer({ bound: 3, hidden: 4, layers: 2 })],
];

for (const [name, transformer] of TRANSFORMERS) {
  describeBijectorConformance(
    `TransformerCoupling with ${name}`,
    () => new TransformerCoupling({ mask: [1, 0, 0], transformer: transformer(), hidden: [8], seed: 1 }),
    { sampleInput: wide, perturbation: 0.5 },
  );
  describeBijectorConformance(
    `TransformerCoupling with ${name} inverted, and a context`,
    () => new TransformerCoupling({ mask: [0, 1], transformer: new InvertedTransformer(transformer()), hidden: [8], contextSize: 2, seed: 2 }),
    { sampleInput: wide, perturbation: 0.5 },
  );
  describeBijectorConformance(
    `MaskedAutoregressive with ${name}`,
    () => new MaskedAutoregressive({ size: 3, transformer: transformer(), hidden: [10], seed: 3 }),
    { sampleInput: wide, perturbation: 0.5 },
  );
}

describe('saved layers', () => {
  it('a coupling and a MAF with each transformer (and an inverted one) reload as equal layers', () => {
    for (const [, transformer] of TRANSFORMERS) {
      const layers = [
        new TransformerCoupling({ mask: [1, 0], transformer: transformer(), hidden: [4], seed: 5 }),
        new TransformerCoupling({ mask: [1, 0], transformer: new InvertedTransformer(transformer()), hidden: [4], seed: 5 }),
        new MaskedAutoregressive({ size: 2, transformer: transformer(), hidden: [4], seed: 6 }),
      ];
      for (const layer of layers) {
        const copy = bijectorFromJSON(JSON.parse(JSON.stringify(layer.toJSON())));
        expect(copy.toJSON()).toEqual(layer.toJSON());
        copy.dispose();
        layer.dispose();
      }
    }
  });
});
