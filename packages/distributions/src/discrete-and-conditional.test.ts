import * as tf from '@tensorflow/tfjs-core';
import { MaskedAffineCoupling } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import { ConditionalMixtureOfDiscretizedLogistics } from './conditional-discretized-logistic-mixture.js';
import { ConditionalDiagonalNormal } from './conditional-distribution.js';
import { DiscretizedLogistic, MixtureOfDiscretizedLogistics } from './discretized-logistic.js';
import { distributionFromJSON } from './distribution-registry.js';
import { FactorOutDistribution } from './factor-out-distribution.js';
import { TransformedDistribution } from './transformed-distribution.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('DiscretizedLogistic', () => {
  it("matches the course notes' P(z) = σ((z + ½ − μ)/s) − σ((z − ½ − μ)/s) and sums to 1 over the integers", () => {
    const d = new DiscretizedLogistic({ size: 1, loc: [1.3], logScale: [Math.log(0.8)] });
    const values = Array.from({ length: 81 }, (_, i) => i - 40);
    const logP = d.logProb(tf.tensor2d(values, [81, 1])).dataSync();
    const at = (z: number) => sigmoid((z + 0.5 - 1.3) / 0.8) - sigmoid((z - 0.5 - 1.3) / 0.8);
    expect(Math.exp(logP[41])).toBeCloseTo(at(1), 6);
    expect(Math.exp(logP[44])).toBeCloseTo(at(4), 6);
    expect(Array.from(logP).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 5);
    // Far in the tail the stable form still gives a finite log-probability.
    expect(Number.isFinite(logP[0])).toBe(true);
  });

  it('with low and high the end bins take the tails: 0…255 sums to 1, and samples stay inside', () => {
    const d = new DiscretizedLogistic({ size: 2, loc: [-3, 250], logScale: [Math.log(5), Math.log(20)], low: 0, high: 255 });
    const grid = Array.from({ length: 256 }, (_, i) => [i, i]).flat();
    const logP = tf.tidy(() => d.logProb(tf.tensor2d(grid, [256, 2]))).dataSync();
    // Row probabilities are products; sum the marginals by summing exp over the grid twice.
    const marginal = (column: number) =>
      tf.tidy(() => {
        const one = new DiscretizedLogistic({ size: 1, loc: [[-3, 250][column]], logScale: [[Math.log(5), Math.log(20)][column]], low: 0, high: 255 });
        const s = tf
          .sum(
            tf.exp(
              one.logProb(
                tf.tensor2d(
                  Array.from({ length: 256 }, (_, i) => i),
                  [256, 1],
                ),
              ),
            ),
          )
          .dataSync()[0];
        one.dispose();
        return s;
      });
    expect(marginal(0)).toBeCloseTo(1, 5);
    expect(marginal(1)).toBeCloseTo(1, 5);
    expect(logP.every(Number.isFinite)).toBe(true);
    const samples = d.sample(500, { random: 3 }).dataSync();
    expect(samples.every((v) => v >= 0 && v <= 255)).toBe(true);
    expect(samples.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('a mixture of discretized logistics sums to 1 on its range and survives JSON', () => {
    const mixture = new MixtureOfDiscretizedLogistics({ size: 1, components: 3, low: 0, high: 15, seed: 2 });
    tf.tidy(() => mixture.logits.assign(tf.tensor2d([[0.5], [-1], [2]])));
    const total = tf.tidy(
      () =>
        tf
          .sum(
            tf.exp(
              mixture.logProb(
                tf.tensor2d(
                  Array.from({ length: 16 }, (_, i) => i),
                  [16, 1],
                ),
              ),
            ),
          )
          .dataSync()[0],
    );
    expect(total).toBeCloseTo(1, 5);
    const samples = mixture.sample(300, { random: 1 }).dataSync();
    expect(samples.every((v) => v >= 0 && v <= 15 && Number.isInteger(v))).toBe(true);
    expect(distributionFromJSON(mixture.toJSON()).className).toBe('MixtureOfDiscretizedLogistics');
  });
});

describe('ConditionalDiagonalNormal', () => {
  it('needs a context, starts as N(0, I) for every context, and its density integrates to 1 per context', () => {
    const d = new ConditionalDiagonalNormal({ size: 1, contextSize: 2, hidden: [8], seed: 1 });
    expect(() => d.logProb(tf.zeros([1, 1]))).toThrow(/context of width 2 is required/);
    const fresh = d.logProb(tf.tensor2d([[0.5]]), tf.tensor2d([[1, 0]])).dataSync()[0];
    expect(fresh).toBeCloseTo(-0.5 * 0.25 - 0.5 * Math.log(2 * Math.PI), 5);
    tf.tidy(() => d.network.trainableVariables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.5, 'float32', i)))));
    for (const context of [
      [1, 0],
      [0, 1],
    ]) {
      const xs = Array.from({ length: 4001 }, (_, i) => -20 + i * 0.01);
      const p = tf.tidy(() => tf.exp(d.logProb(tf.tensor2d(xs, [xs.length, 1]), tf.tile(tf.tensor2d([context]), [xs.length, 1]))).dataSync());
      expect(Array.from(p).reduce((s, v) => s + v * 0.01, 0)).toBeCloseTo(1, 3);
    }
  });

  it('is the base of a conditional flow: logProb and sample take the context through both', () => {
    const flow = new TransformedDistribution(
      new ConditionalDiagonalNormal({ size: 2, contextSize: 3, seed: 2 }),
      new MaskedAffineCoupling({ mask: [1, 0], contextSize: 3, hidden: [8], seed: 3 }),
    );
    const context = tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3), 'float32');
    const x = flow.sample(4, { random: 5, context });
    expect(x.shape).toEqual([4, 2]);
    expect(flow.logProb(x, context).shape).toEqual([4]);
    expect(distributionFromJSON(JSON.parse(JSON.stringify(flow.toJSON()))).contextSize).toBe(3);
  });
});

describe('ConditionalMixtureOfDiscretizedLogistics', () => {
  it('starts as its unconditional mixture for every context, then follows the formula with μ = μ₀ + Δμ(c / S)', () => {
    const d = new ConditionalMixtureOfDiscretizedLogistics({ size: 2, contextSize: 3, components: 2, hidden: [4], scale: 256, seed: 3 });
    const unconditional = new MixtureOfDiscretizedLogistics({ size: 2, components: 2 });
    tf.tidy(() => {
      for (const [a, b] of [
        [unconditional.loc, d.loc],
        [unconditional.logScale, d.logScale],
        [unconditional.logits, d.logits],
      ])
        a.assign(b);
    });
    const x = tf.tensor2d([
      [0, 3],
      [-2, 1],
    ]);
    const contexts = [tf.tensor2d([[10, 200, -40]]), tf.tensor2d([[0, 0, 0]])];
    for (const [row, context] of contexts.entries())
      expect(d.logProb(tf.slice(x, [row, 0], [1, 2]), context).dataSync()[0]).toBeCloseTo(
        unconditional.logProb(tf.slice(x, [row, 0], [1, 2])).dataSync()[0],
        5,
      );
    // A last layer that moves only component 0's location of coordinate 1 (output 1 of [3, K, D]) by 0.01 per unit of the largest hidden unit.
    const context = tf.tensor2d([[100, 50, 25]]);
    const hiddenValues = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.div(context, 256), d.network.weights[0]), d.network.biases[0])).dataSync());
    const unit = hiddenValues.indexOf(Math.max(...hiddenValues));
    const hidden = hiddenValues[unit];
    expect(hidden).toBeGreaterThan(0);
    const last = d.network.weights[1];
    tf.tidy(() =>
      last.assign(
        tf.tensor2d(
          Array.from({ length: 4 * 12 }, (_, i) => (i === unit * 12 + 1 ? 0.01 : 0)),
          [4, 12],
        ),
      ),
    );
    const { loc, logScale, logits } = tf.tidy(() => {
      const p = d.parameters(context);
      return { loc: p.loc.arraySync()[0], logScale: p.logScale.arraySync()[0], logits: p.logits.arraySync()[0] };
    });
    const base = d.loc.arraySync() as number[][];
    expect(loc[0][1]).toBeCloseTo(base[0][1] + 0.01 * hidden, 5);
    expect(loc[1][1]).toBeCloseTo(base[1][1], 6);
    const at = (v: number, k: number, i: number) =>
      sigmoid((v + 0.5 - loc[k][i]) / Math.exp(logScale[k][i])) - sigmoid((v - 0.5 - loc[k][i]) / Math.exp(logScale[k][i]));
    const mix = (v: number, i: number) => {
      const w = [Math.exp(logits[0][i]), Math.exp(logits[1][i])];
      return (w[0] * at(v, 0, i) + w[1] * at(v, 1, i)) / (w[0] + w[1]);
    };
    expect(d.logProb(tf.tensor2d([[1, 2]]), context).dataSync()[0]).toBeCloseTo(Math.log(mix(1, 0)) + Math.log(mix(2, 1)), 4);
    expect(distributionFromJSON(JSON.parse(JSON.stringify(d.toJSON()))).className).toBe('ConditionalMixtureOfDiscretizedLogistics');
    d.dispose();
    unconditional.dispose();
  });
});

describe('FactorOutDistribution', () => {
  it('is log p(z₁) + log p(z₂ | z₁), refuses parts that do not fit, and saves both parts', () => {
    const kept = new DiscretizedLogistic({ size: 2, loc: [1, -1], logScale: [0.5, 0.2] });
    const factored = new ConditionalMixtureOfDiscretizedLogistics({ size: 1, contextSize: 2, components: 2, hidden: [4], seed: 1 });
    tf.tidy(() => factored.network.weights[1].assign(tf.randomNormal(factored.network.weights[1].shape, 0, 0.5, 'float32', 2)));
    const d = new FactorOutDistribution({ kept, factored });
    expect(d.eventShape).toEqual([3]);
    const z = tf.tensor2d([
      [1, 0, 4],
      [3, -2, -1],
    ]);
    const expected = tf.tidy(() =>
      tf.add(kept.logProb(tf.slice(z, [0, 0], [2, 2])), factored.logProb(tf.slice(z, [0, 2], [2, 1]), tf.slice(z, [0, 0], [2, 2]))).dataSync(),
    );
    const got = d.logProb(z).dataSync();
    expect(got[0]).toBeCloseTo(expected[0], 6);
    expect(got[1]).toBeCloseTo(expected[1], 6);
    expect(() => new FactorOutDistribution({ kept: new DiscretizedLogistic({ size: 3 }), factored })).toThrow(
      /context width \(2\) must be the kept part's size \(3\)/,
    );
    const copy = distributionFromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    expect(copy.eventShape).toEqual([3]);
    expect(copy.variables.length).toBe(d.variables.length);
    d.dispose();
    copy.dispose();
  });
});
