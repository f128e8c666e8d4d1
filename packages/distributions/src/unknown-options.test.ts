import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as distributions from './index.js';

const cases: [string, () => unknown][] = [
  ['Bernoulli', () => new distributions.Bernoulli({ size: 2, logit: [0, 0] } as never)],
  ['ConditionalDiagonalNormal', () => new distributions.ConditionalDiagonalNormal({ size: 2, contextSize: 1, context: 1 } as never)],
  [
    'ConditionalMixtureOfDiscretizedLogistics',
    () => new distributions.ConditionalMixtureOfDiscretizedLogistics({ size: 2, contextSize: 1, components: 2, k: 2 } as never),
  ],
  ['FactorOutDistribution', () => new distributions.FactorOutDistribution({ kept: new distributions.StandardNormal(1), factored: null, extra: 1 } as never)],
  ['DiscretizedLogistic', () => new distributions.DiscretizedLogistic({ size: 2, scale: [1, 1] } as never)],
  ['MixtureOfDiscretizedLogistics', () => new distributions.MixtureOfDiscretizedLogistics({ size: 2, components: 2, k: 2 } as never)],
  ['Logistic', () => new distributions.Logistic({ size: 2, location: [0, 0] } as never)],
  ['MixtureOfGaussians', () => new distributions.MixtureOfGaussians({ size: 2, components: 2, mean: [] } as never)],
  ['DiagonalNormal', () => new distributions.DiagonalNormal({ size: 2, std: [1, 1] } as never)],
  ['Uniform', () => new distributions.Uniform({ low: [0], high: [1], width: 1 } as never)],
  ['StandardNormal', () => new distributions.StandardNormal({ dims: 2 } as never)],
];

describe('unknown options', () => {
  it.each(cases)('%s rejects a key it does not know, naming it and the valid ones', (name, build) => {
    expect(build).toThrow(new RegExp(`^${name}: unknown option '\\w+'.*; valid options: `));
  });

  it('sample rejects an unknown key (tempreature for temperature)', () => {
    const normal = new distributions.StandardNormal(2);
    expect(() => normal.sample(3, { tempreature: 0.5 } as never)).toThrow(
      /StandardNormal\.sample: unknown option 'tempreature' \(did you mean 'temperature'\?\)/,
    );
  });

  it('StandardNormal and DiagonalNormal take the event size as size, like the other distributions', () => {
    const x = tf.tensor2d([[0.5, -1]]);
    const values = [
      new distributions.StandardNormal(2),
      new distributions.StandardNormal({ size: 2 }),
      new distributions.StandardNormal({ eventShape: [2] }),
    ].map((d) => d.logProb(x).dataSync()[0]);
    expect(values[1]).toBe(values[0]);
    expect(values[2]).toBe(values[0]);
    const diagonal = new distributions.DiagonalNormal({ size: 2 });
    expect(diagonal.eventShape).toEqual([2]);
    expect(diagonal.logProb(x).dataSync()[0]).toBeCloseTo(values[0], 6);
    expect(() => new distributions.DiagonalNormal({ size: 2, eventShape: [2] })).toThrow(/size or eventShape, not both/);
    expect(() => new distributions.DiagonalNormal({} as never)).toThrow(/give the event size/);
    diagonal.dispose();
    x.dispose();
  });
});
