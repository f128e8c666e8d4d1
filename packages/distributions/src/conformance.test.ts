// The distribution conformance kit over every built-in distribution, keyed by class name: the last
// test fails for any registered class without an entry.
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { MaskedAffineCoupling } from '@flows/bijectors';
import { DeepSets, MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import {
  Bernoulli,
  ConditionalDiagonalNormal,
  ConditionalMixtureOfDiscretizedLogistics,
  ConvConditionalNormal,
  DiagonalNormal,
  type Distribution,
  DiscretizedLogistic,
  EmbeddedContext,
  FactorOutDistribution,
  Logistic,
  MixtureOfDiscretizedLogistics,
  MixtureOfGaussians,
  registeredDistributions,
  StandardNormal,
  TransformedDistribution,
  Uniform,
  VonMises,
} from './index.js';
import type { DistributionConformanceOptions } from './testing/index.js';
import { describeDistributionConformance } from './testing/vitest.js';

/** A conditional mixture whose network's last layer is random (a fresh one ignores its context). */
function conditionalMixture(size: number, contextSize: number, seed: number): ConditionalMixtureOfDiscretizedLogistics {
  const mixture = new ConditionalMixtureOfDiscretizedLogistics({ size, contextSize, components: 3, hidden: [8], seed });
  const last = mixture.network.weights[mixture.network.weights.length - 1];
  tf.tidy(() => last.assign(tf.randomUniform(last.shape, -0.3, 0.3, 'float32', seed)));
  return mixture;
}

/** A convolutional prior whose last filter is random (a fresh one is the standard normal for every context). */
function randomLast(prior: ConvConditionalNormal): ConvConditionalNormal {
  const last = prior.network.filters[prior.network.filters.length - 1];
  tf.tidy(() => last.assign(tf.randomUniform(last.shape, -0.3, 0.3, 'float32', 11)));
  return prior;
}

type DistributionCase = [name: string, factory: () => Distribution, options: DistributionConformanceOptions];

const normalContext = (width: number) => (random: Random, n: number) => tf.tensor2d(random.fillNormal(new Float32Array(n * width), 0, 1), [n, width]);

/** Each built-in class with the configurations the kit checks. */
const CASES: Record<string, DistributionCase[]> = {
  StandardNormal: [
    ['StandardNormal, 2-D', () => new StandardNormal([2]), { support: { kind: 'grid', low: -8, high: 8 } }],
    ['StandardNormal, 16-D (entropy)', () => new StandardNormal([16]), {}],
  ],
  DiagonalNormal: [
    ['DiagonalNormal', () => new DiagonalNormal({ size: 2, mean: [1, -0.5], logScale: [0.3, -0.4] }), { support: { kind: 'grid', low: -9, high: 9 } }],
  ],
  Uniform: [['Uniform', () => new Uniform({ low: [-1, 0], high: [2, 0.5] }), { support: { kind: 'grid', low: -1.5, high: 2.5 }, massTolerance: 0.03 }]],
  MixtureOfGaussians: [
    ['MixtureOfGaussians', () => new MixtureOfGaussians({ size: 2, components: 3, seed: 4 }), { support: { kind: 'grid', low: -10, high: 10 } }],
  ],
  Logistic: [['Logistic, 1-D', () => new Logistic({ size: 1, loc: [0.5], logScale: [-0.3] }), { support: { kind: 'grid', low: -30, high: 30, points: 3000 } }]],
  Bernoulli: [['Bernoulli', () => new Bernoulli({ size: 3, logits: [0.5, -1, 2] }), { support: { kind: 'integers', low: 0, high: 1 } }]],
  DiscretizedLogistic: [
    [
      'DiscretizedLogistic on 0…7',
      () => new DiscretizedLogistic({ size: 2, loc: [3, 5.5], logScale: [0.2, -0.5], low: 0, high: 7 }),
      { support: { kind: 'integers', low: 0, high: 7 } },
    ],
  ],
  MixtureOfDiscretizedLogistics: [
    [
      'MixtureOfDiscretizedLogistics on 0…15',
      () => new MixtureOfDiscretizedLogistics({ size: 1, components: 3, low: 0, high: 15, seed: 2 }),
      { support: { kind: 'integers', low: 0, high: 15 } },
    ],
  ],
  ConditionalDiagonalNormal: [
    [
      'ConditionalDiagonalNormal',
      () => new ConditionalDiagonalNormal({ size: 2, contextSize: 3, hidden: [8], seed: 5 }),
      { support: { kind: 'grid', low: -10, high: 10 }, context: normalContext(3) },
    ],
  ],
  ConvConditionalNormal: [
    [
      'ConvConditionalNormal (1 × 2 pixels, 1 channel, given 2 channels; a random last layer)',
      () => randomLast(new ConvConditionalNormal({ shape: [1, 2, 1], contextChannels: 2, hidden: [4], seed: 3 })),
      { support: { kind: 'grid', low: -10, high: 10 }, context: normalContext(4) },
    ],
  ],
  ConditionalMixtureOfDiscretizedLogistics: [
    [
      'ConditionalMixtureOfDiscretizedLogistics',
      () => conditionalMixture(1, 2, 6),
      { support: { kind: 'integers', low: -40, high: 40 }, context: normalContext(2) },
    ],
  ],
  FactorOutDistribution: [
    [
      'FactorOutDistribution (a discretized logistic, then a conditional mixture given it)',
      () =>
        new FactorOutDistribution({
          kept: new DiscretizedLogistic({ size: 1, loc: [0.5], logScale: [0.3] }),
          factored: conditionalMixture(1, 1, 7),
        }),
      { support: { kind: 'integers', low: -40, high: 40 } },
    ],
  ],
  VonMises: [
    [
      'VonMises, 2 angles (one concentrated)',
      () => new VonMises({ size: 2, loc: [0.7, -2.5], concentration: [0.8, 30] }),
      { support: { kind: 'grid', low: -Math.PI, high: Math.PI, points: 400 } },
    ],
    ['VonMises, 8 angles (entropy)', () => new VonMises({ size: 8, concentration: [0.1, 0.5, 1, 2, 5, 10, 100, 1000] }), {}],
  ],
  EmbeddedContext: [
    [
      'EmbeddedContext (an MLP embedding before a conditional normal)',
      () =>
        new EmbeddedContext(
          new ConditionalDiagonalNormal({ size: 2, contextSize: 3, hidden: [8], seed: 5 }),
          new MLP({ inputSize: 5, outputSize: 3, hidden: [6], zeroInitLast: false, seed: 8 }),
        ),
      { support: { kind: 'grid', low: -10, high: 10 }, context: normalContext(5) },
    ],
    [
      'EmbeddedContext (a DeepSets embedding of 4 observations of 2 values, flat rows)',
      () =>
        new EmbeddedContext(
          new ConditionalDiagonalNormal({ size: 2, contextSize: 3, hidden: [8], seed: 6 }),
          new DeepSets({ setSize: 4, elementSize: 2, outputSize: 3, elementHidden: [6], featureSize: 5, hidden: [6], seed: 9 }),
        ),
      { support: { kind: 'grid', low: -10, high: 10 }, context: normalContext(8) },
    ],
  ],
  TransformedDistribution: [
    [
      'TransformedDistribution (a Real NVP coupling over a standard normal)',
      () => new TransformedDistribution(new StandardNormal([2]), new MaskedAffineCoupling({ mask: [1, 0], hidden: [8], seed: 3 })),
      { support: { kind: 'grid', low: -12, high: 12, points: 300 } },
    ],
  ],
};

for (const cases of Object.values(CASES)) for (const [name, factory, options] of cases) describeDistributionConformance(name, factory, options);

describe('distribution conformance coverage', () => {
  it('has cases for every registered distribution class, each building the class it is filed under', () => {
    const missing = registeredDistributions().filter((className) => !(className in CASES));
    expect(missing, `registered distributions without a conformance case: ${missing.join(', ')}`).toEqual([]);
    for (const [className, cases] of Object.entries(CASES)) {
      expect(cases.length, className).toBeGreaterThan(0);
      for (const [name, factory] of cases) {
        const distribution = factory();
        expect(distribution.className, `case '${name}'`).toBe(className);
        distribution.dispose();
      }
    }
  });
});
