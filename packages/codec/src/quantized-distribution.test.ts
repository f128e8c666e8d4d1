import { describe, expect, it } from 'vitest';
import {
  quantizeProbabilities,
  quantizedBernoulli,
  quantizedDiscretizedLogistic,
  quantizedGaussianBuckets,
  quantizedLogisticMixture,
  standardNormalBucketCentres,
  standardNormalBucketEdges,
  standardNormalCdf,
} from './quantized-distribution.js';
import { integerMixtureCdfWindow, integerMixtureWindow, MixtureCdfLookup } from './integer-coding.js';

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

describe('quantised distributions', () => {
  it('sum to 2^precision, give every symbol at least 1, and follow the probabilities', () => {
    const q = quantizeProbabilities([0.5, 0.25, 0.25, 0], 8);
    expect(Array.from(q.frequencies)).toEqual([127, 64, 64, 1]);
    expect(Array.from(quantizeProbabilities([0.5, 0.3, 0.2], 4).frequencies)).toEqual([8, 5, 3]);
    expect(q.cumulative.at(-1)).toBe(256);
    expect([0, 1, 2, 3].map((s) => q.symbolOf(q.cumulative[s]))).toEqual([0, 1, 2, 3]);
    expect(q.symbolOf(255)).toBe(3);
    expect(() => quantizeProbabilities([1, -1], 8)).toThrow(/symbol 1.*finite number ≥ 0/);
    expect(() => quantizeProbabilities([0, 0], 8)).toThrow(/every probability is 0/);
    expect(() => quantizeProbabilities(new Array(300).fill(1), 8)).toThrow(/do not fit/);
    expect(quantizedBernoulli(1, 16).frequencies[0]).toBe(1);
  });

  it('the discretized logistic matches σ((k + ½ − μ)/s) − σ((k − ½ − μ)/s), with the tails in the end bins', () => {
    const [mean, logScale] = [100.3, Math.log(6)];
    const q = quantizedDiscretizedLogistic(mean, logScale, { precision: 16 });
    expect(q.size).toBe(256);
    for (const k of [0, 50, 100, 101, 140, 255]) {
      const upper = k === 255 ? 1 : sigmoid((k + 0.5 - mean) / 6);
      const lower = k === 0 ? 0 : sigmoid((k - 0.5 - mean) / 6);
      const exact = upper - lower;
      // Quantisation error: below two units in 2^16 (tail bins raised to one unit, taken from the largest).
      expect(Math.abs(q.probability(k) - exact)).toBeLessThan(2 / 2 ** 16);
    }
    const mixture = quantizedLogisticMixture([0.3, 0.7], [20, 200], [Math.log(3), Math.log(10)], { precision: 16 });
    const single = [quantizedDiscretizedLogistic(20, Math.log(3)), quantizedDiscretizedLogistic(200, Math.log(10))];
    for (const k of [20, 100, 200])
      expect(Math.abs(mixture.probability(k) - (0.3 * single[0].probability(k) + 0.7 * single[1].probability(k)))).toBeLessThan(4 / 2 ** 16);
    expect(() => quantizedDiscretizedLogistic(Number.NaN, 0)).toThrow(/component 0/);
  });

  it("the standard normal CDF to 1e-14, its bucket edges of equal mass, and a Gaussian's buckets", () => {
    const known: [number, number][] = [
      [0, 0.5],
      [1, 0.8413447460685429],
      [-2, 0.022750131948179195],
      [3, 0.9986501019683699],
      [-5, 2.866515718791939e-7],
    ];
    for (const [t, value] of known) expect(Math.abs(standardNormalCdf(t) - value)).toBeLessThan(1e-14 + 1e-12 * value);
    const edges = standardNormalBucketEdges(8);
    for (let i = 0; i < 8; i++) expect(standardNormalCdf(edges[i + 1]) - standardNormalCdf(edges[i])).toBeCloseTo(1 / 8, 12);
    expect(edges[4]).toBeCloseTo(0, 12);
    const centres = standardNormalBucketCentres(8);
    expect(centres.every((c, i) => c > edges[i] && c < edges[i + 1])).toBe(true);
    // Under the prior every bucket has the same mass; a narrow Gaussian puts nearly all on one.
    const prior = quantizedGaussianBuckets(0, 1, edges, 16);
    expect(Array.from(prior.frequencies).every((f) => Math.abs(f - 8192) <= 1)).toBe(true);
    const narrow = quantizedGaussianBuckets(centres[5], 0.01, edges, 16);
    expect(narrow.probability(5)).toBeGreaterThan(0.99);
    expect(() => quantizedGaussianBuckets(0, 0, edges)).toThrow(/σ > 0/);
  });

  it('places a fine lattice’s edges at the quantiles: ascending, symmetric, Φ(e_i) = i/B to rounding', () => {
    const buckets = 2 ** 17;
    const edges = standardNormalBucketEdges(buckets);
    let worst = 0;
    for (let i = 1; i < buckets; i++) {
      expect(edges[i] > edges[i - 1]).toBe(true);
      if (2 * i !== buckets) expect(edges[i]).toBe(-edges[buckets - i]);
      const target = i / buckets;
      // The side of the tail keeps Φ's relative precision: compare there.
      const error =
        i <= buckets / 2 ? Math.abs(standardNormalCdf(edges[i]) - target) / target : Math.abs(standardNormalCdf(-edges[i]) - (1 - target)) / (1 - target);
      worst = Math.max(worst, error);
    }
    expect(worst).toBeLessThan(1e-13);
  });

  it('refuses a negative or non-finite mixture weight, naming it, instead of coding under a mixture that is not a distribution', () => {
    // Two equal components: with weights 1 and −0.5 the sum still looks like a distribution.
    const [means, logScales] = [
      [100, 100],
      [Math.log(5), Math.log(5)],
    ];
    expect(() => quantizedLogisticMixture([1, -0.5], means, logScales)).toThrow(/mixture weight 1 is -0.5; every weight must be a finite number ≥ 0/);
    expect(() => quantizedLogisticMixture([Number.NaN, 1], means, logScales)).toThrow(/mixture weight 0 is NaN/);
    expect(() => quantizedLogisticMixture([0, 0], means, logScales)).toThrow(/sum to 0/);
    expect(() => quantizedLogisticMixture([Number.MAX_VALUE, Number.MAX_VALUE], means, logScales)).toThrow(/finite, positive sum/);
    expect(() => integerMixtureWindow([1, -0.5], means, logScales)).toThrow(/mixture weight 1 is -0.5/);
    expect(() => integerMixtureCdfWindow([1, -0.5], means, logScales)).toThrow(/mixture weight 1 is -0.5/);
    expect(() => new MixtureCdfLookup([1, -0.5], means, logScales, 90, 110)).toThrow(/mixture weight 1 is -0.5/);
    // A zero weight is a component that is never used: allowed.
    expect(quantizedLogisticMixture([1, 0], means, logScales).size).toBe(256);
  });
});
