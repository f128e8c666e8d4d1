// The conformance kit over every built-in bijector, keyed by class name: the last test fails for
// any registered class without an entry, so a new bijector cannot ship unchecked.
import * as tf from '@tensorflow/tfjs-core';
import { type Bijector, registeredBijectors } from '@flows/core';
import { GatedResidualConvNet, MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import {
  ActNorm,
  AdditiveCoupling,
  AdditiveTransformer,
  AffineTransformer,
  IntegerAdditiveCoupling,
  BatchNorm,
  Chain,
  channelMask,
  ElementwiseAffine,
  ElementwiseScale,
  Exp,
  FactorOut,
  GatedTransformer,
  LogisticMixtureTransformer,
  imageCheckerboardMask,
  InverseAutoregressive,
  Invert,
  InvertibleConv1x1,
  InvertibleLinear,
  LeakyReLU,
  Logit,
  MaskedAffineCoupling,
  MaskedAutoregressive,
  Permute,
  PiecewiseLinear,
  Planar,
  Power,
  Radial,
  Reverse,
  Sigmoid,
  SinhArcsinh,
  Softplus,
  Reshape,
  Squeeze,
  Tanh,
  TransformerCoupling,
} from './index.js';
import type { ConformanceOptions } from './testing/index.js';
import { registeredTransformers } from './transformer-registry.js';
import { describeBijectorConformance } from './testing/vitest.js';

/** Inputs drawn uniformly from (low, high), for bijectors defined on part of the line. */
const uniformInput = (low: number, high: number) => (random: { fillUniform(a: Float32Array, l: number, h: number): Float32Array }, shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), low, high), shape);

const twoLayers = () =>
  new Chain([
    new MaskedAffineCoupling({ mask: [1, 0, 1, 0], hidden: [8], seed: 1 }),
    new Permute({ size: 4, seed: 2 }),
    new MaskedAffineCoupling({ mask: [0, 1, 0, 1], hidden: [8], seed: 3 }),
    new ElementwiseScale({ size: 4 }),
  ]);

type ConformanceCase = [name: string, factory: () => Bijector, options?: ConformanceOptions];

/** Each built-in class with the configurations the kit checks (a case may nest the class inside others). */
const CASES: Record<string, ConformanceCase[]> = {
  ActNorm: [
    [
      'ActNorm on images',
      () => new ActNorm({ shape: [3, 2, 3] }),
      {
        prepare: (b) =>
          tf.tidy(() => (b as ActNorm).initializeFrom(tf.add(tf.mul(tf.randomNormal([16, 3, 2, 3], 0, 1, 'float32', 3), tf.tensor1d([2, 0.5, 1])), 1))),
      },
    ],
    [
      'ActNorm',
      () => new ActNorm({ size: 3 }),
      {
        prepare: (b) => tf.tidy(() => (b as ActNorm).initializeFrom(tf.add(tf.mul(tf.randomNormal([32, 3], 0, 1, 'float32', 9), tf.tensor1d([2, 0.5, 1])), 1))),
      },
    ],
  ],
  AdditiveCoupling: [
    ['AdditiveCoupling', () => new AdditiveCoupling({ mask: [1, 0, 1, 0], hidden: [8], seed: 4 })],
    ['AdditiveCoupling (context)', () => new AdditiveCoupling({ mask: [0, 1, 1], hidden: [8], contextSize: 3, seed: 4 })],
    [
      'AdditiveCoupling on images with an MLP',
      () =>
        new AdditiveCoupling({
          mask: imageCheckerboardMask(2, 2, 2, 1),
          eventShape: [2, 2, 2],
          shift: new MLP({ inputSize: 8, outputSize: 8, hidden: [5], seed: 5 }),
        }),
    ],
  ],
  IntegerAdditiveCoupling: [
    [
      'IntegerAdditiveCoupling (a shift network that is not zero, scale 4)',
      () =>
        new IntegerAdditiveCoupling({
          mask: [1, 0, 1, 0],
          scale: 4,
          shift: new MLP({ inputSize: 4, outputSize: 4, hidden: [8], zeroInitLast: false, seed: 6 }),
        }),
    ],
  ],
  BatchNorm: [
    [
      'BatchNorm (evaluation mode)',
      () => new BatchNorm({ shape: [2, 2, 3] }),
      {
        prepare: (b) => {
          const norm = b as BatchNorm;
          tf.tidy(() => norm.inverse(tf.add(tf.mul(tf.randomNormal([32, 2, 2, 3], 0, 1, 'float32', 4), tf.tensor1d([3, 0.5, 1])), tf.tensor1d([1, 2, -1]))));
          norm.training = false;
        },
      },
    ],
    ['BatchNorm on vectors (evaluation mode)', () => new BatchNorm({ size: 3 }), { prepare: (b) => ((b as BatchNorm).training = false) }],
  ],
  Chain: [['Chain', twoLayers]],
  ElementwiseAffine: [['ElementwiseAffine', () => new ElementwiseAffine({ size: 3, shift: [1, -2, 0.5], logScale: [0.3, -0.2, 0] })]],
  ElementwiseScale: [['ElementwiseScale', () => new ElementwiseScale({ size: 3, logScale: [0.2, -0.5, 1] })]],
  Exp: [['Exp', () => new Exp(), { eventShape: [3] }]],
  FactorOut: [
    [
      'multi-scale: Squeeze, coupling, FactorOut(Squeeze, coupling)',
      () => {
        const inner = new Chain([
          new MaskedAffineCoupling({ mask: channelMask(1, 1, 8), eventShape: [1, 1, 8], hidden: [4], seed: 7 }),
          new Squeeze({ shape: [2, 2, 2] }),
        ]);
        return new Chain([
          new FactorOut({ shape: [2, 2, 4], keepChannels: 2, inner }),
          new MaskedAffineCoupling({ mask: channelMask(2, 2, 4, false), eventShape: [2, 2, 4], hidden: [4], seed: 6 }),
          new Squeeze({ shape: [4, 4, 1] }),
        ]);
      },
    ],
  ],
  InverseAutoregressive: [
    ['InverseAutoregressive', () => new InverseAutoregressive({ size: 4, hidden: [8, 8], order: [2, 4, 1, 3], seed: 3 })],
    ['InverseAutoregressive, gated', () => new InverseAutoregressive({ size: 3, hidden: [8], transformer: new GatedTransformer(), contextSize: 1, seed: 4 })],
    ['InverseAutoregressive, additive', () => new InverseAutoregressive({ size: 3, hidden: [8], transformer: new AdditiveTransformer(), seed: 9 })],
    [
      'InverseAutoregressive, logistic-mixture CDF',
      () => new InverseAutoregressive({ size: 3, hidden: [8], transformer: new LogisticMixtureTransformer({ components: 2 }), seed: 12 }),
      { perturbation: 0.5 },
    ],
  ],
  Invert: [['Invert(Chain)', () => new Invert(twoLayers())]],
  InvertibleConv1x1: [['InvertibleConv1x1', () => new InvertibleConv1x1({ shape: [3, 3, 4], seed: 2 })]],
  InvertibleLinear: [['InvertibleLinear', () => new InvertibleLinear({ size: 4, seed: 3 })]],
  LeakyReLU: [['LeakyReLU', () => new LeakyReLU(0.2), { eventShape: [3] }]],
  Logit: [['Logit', () => new Logit(0.05), { eventShape: [3], sampleInput: uniformInput(0.02, 0.98) }]],
  MaskedAffineCoupling: [
    [
      'MaskedAffineCoupling on images, checkerboard, ConvNet',
      () => new MaskedAffineCoupling({ mask: imageCheckerboardMask(4, 4, 2, 0), eventShape: [4, 4, 2], hidden: [4], seed: 3 }),
    ],
    [
      "MaskedAffineCoupling on images, checkerboard, Flow++'s gated residual networks",
      () =>
        new MaskedAffineCoupling({
          mask: imageCheckerboardMask(4, 4, 2, 1),
          eventShape: [4, 4, 2],
          scale: new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, channels: 3, blocks: 2, seed: 5 }),
          translation: new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, channels: 3, blocks: 1, seed: 6 }),
        }),
    ],
    [
      'MaskedAffineCoupling on images, channel mask, context',
      () => new MaskedAffineCoupling({ mask: channelMask(2, 2, 4), eventShape: [2, 2, 4], hidden: [3], contextSize: 2, seed: 4 }),
    ],
    ['MaskedAffineCoupling (half mask, D=4)', () => new MaskedAffineCoupling({ mask: [1, 1, 0, 0], hidden: [8], seed: 1 })],
    ['MaskedAffineCoupling (D=5, no tanh)', () => new MaskedAffineCoupling({ mask: [0, 1, 0, 1, 1], hidden: [8, 8], scaleTanh: false, seed: 2 })],
    ['MaskedAffineCoupling (learnable scale factor)', () => new MaskedAffineCoupling({ mask: [1, 0, 0, 1], hidden: [8], learnableScaleFactor: true, seed: 6 })],
    ['MaskedAffineCoupling (context)', () => new MaskedAffineCoupling({ mask: [1, 0, 1], hidden: [6], contextSize: 2, seed: 3 })],
  ],
  MaskedAutoregressive: [
    ['MaskedAutoregressive', () => new MaskedAutoregressive({ size: 4, hidden: [8, 8], seed: 1 })],
    [
      'MaskedAutoregressive, logistic-mixture CDF (Flow++)',
      () => new MaskedAutoregressive({ size: 3, hidden: [8], transformer: new LogisticMixtureTransformer({ components: 3 }), contextSize: 1, seed: 13 }),
      { perturbation: 0.5 },
    ],
    ['MaskedAutoregressive, reversed order, context', () => new MaskedAutoregressive({ size: 3, hidden: [6], order: 'reversed', contextSize: 2, seed: 2 })],
    [
      'MaskedAutoregressive, additive',
      () => new MaskedAutoregressive({ size: 3, hidden: [6], transformer: new AdditiveTransformer(), contextSize: 1, seed: 10 }),
    ],
  ],
  Permute: [
    ['Permute (random)', () => new Permute({ size: 5, seed: 3 })],
    ['Permute (given)', () => new Permute({ order: [2, 0, 1] })],
  ],
  PiecewiseLinear: [['PiecewiseLinear', () => new PiecewiseLinear({ size: 3, bins: 5 }), { sampleInput: uniformInput(0.01, 0.99) }]],
  Planar: [['Planar', () => new Planar({ size: 3, seed: 4 })]],
  Power: [['Power', () => new Power({ power: 2.5 }), { eventShape: [3], sampleInput: uniformInput(0.2, 3) }]],
  Radial: [['Radial', () => new Radial({ size: 3, seed: 5, betaRaw: 1 })]],
  Reshape: [
    ['Reshape, flat to an image', () => new Reshape({ baseShape: [12], dataShape: [2, 2, 3] })],
    [
      'Reshape inside a multi-scale split: FactorOut(Reshape) after a coupling',
      () =>
        new Chain([
          new FactorOut({ shape: [2, 2, 4], keepChannels: 1, inner: new Reshape({ baseShape: [4], dataShape: [2, 2, 1] }) }),
          new MaskedAffineCoupling({ mask: channelMask(2, 2, 4, false), eventShape: [2, 2, 4], hidden: [4], seed: 8 }),
        ]),
    ],
  ],
  Reverse: [['Reverse', () => new Reverse({ size: 4 })]],
  Sigmoid: [['Sigmoid', () => new Sigmoid(), { eventShape: [3] }]],
  SinhArcsinh: [['SinhArcsinh', () => new SinhArcsinh({ skewness: 0.4, tailweight: 1.7 }), { eventShape: [3] }]],
  Softplus: [['Softplus', () => new Softplus(), { eventShape: [3] }]],
  Squeeze: [['Squeeze', () => new Squeeze({ shape: [4, 2, 3] })]],
  Tanh: [['Tanh', () => new Tanh(), { eventShape: [3] }]],
  TransformerCoupling: [
    [
      'TransformerCoupling, affine',
      () => new TransformerCoupling({ mask: [1, 0, 1, 0, 0], hidden: [8], transformer: new AffineTransformer(), contextSize: 2, seed: 5 }),
    ],
    [
      'TransformerCoupling, affine with the sigmoid scale',
      () => new TransformerCoupling({ mask: [1, 0, 1], hidden: [8], transformer: new AffineTransformer({ scale: 'sigmoid' }), seed: 6 }),
    ],
    [
      'TransformerCoupling, affine with the softplus scale and no floor',
      () => new TransformerCoupling({ mask: [0, 1, 1], hidden: [8], transformer: new AffineTransformer({ scale: 'softplus', scaleEpsilon: 0 }), seed: 7 }),
    ],
    [
      'TransformerCoupling, logistic-mixture CDF (Flow++)',
      () =>
        new TransformerCoupling({ mask: [1, 0, 0, 1], hidden: [8], transformer: new LogisticMixtureTransformer({ components: 3 }), contextSize: 1, seed: 11 }),
      { perturbation: 0.5 },
    ],
    [
      'TransformerCoupling, affine with the rational clamp',
      () =>
        new TransformerCoupling({ mask: [1, 0], hidden: [8], transformer: new AffineTransformer({ logScaleClamp: 'rational', logScaleBound: 2 }), seed: 8 }),
    ],
  ],
};

for (const cases of Object.values(CASES)) for (const [name, factory, options] of cases) describeBijectorConformance(name, factory, options);

/** Every class name in a serialized module tree (members of chains, inner flows, networks). */
function classNamesIn(serialized: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(serialized)) for (const item of serialized) classNamesIn(item, names);
  else if (serialized && typeof serialized === 'object') {
    const record = serialized as Record<string, unknown>;
    if (typeof record.className === 'string') names.add(record.className);
    for (const value of Object.values(record)) classNamesIn(value, names);
  }
  return names;
}

describe('conformance coverage', () => {
  it('has cases for every registered bijector class, and each case builds the class it is filed under', () => {
    const missing = registeredBijectors().filter((className) => !(className in CASES));
    expect(missing, `registered bijectors without a conformance case: ${missing.join(', ')}`).toEqual([]);
    for (const [className, cases] of Object.entries(CASES)) {
      expect(cases.length, className).toBeGreaterThan(0);
      for (const [name, factory] of cases) {
        const bijector = factory();
        const names = classNamesIn(bijector.toJSON());
        bijector.dispose();
        expect([...names], `case '${name}' is filed under ${className} but does not build one`).toContain(className);
      }
    }
  });

  it('runs every registered transformer inside some case', () => {
    const used = new Set<string>();
    for (const cases of Object.values(CASES)) {
      for (const [, factory] of cases) {
        const bijector = factory();
        classNamesIn(bijector.toJSON(), used);
        bijector.dispose();
      }
    }
    const missing = registeredTransformers().filter((className) => !used.has(className));
    expect(missing, `registered transformers that no conformance case uses: ${missing.join(', ')}`).toEqual([]);
  });
});
