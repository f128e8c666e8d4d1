import { describe, expect, it } from 'vitest';
import { bucketBits, gaussianBucketWindow, LatentLattice, popBucket, pushBucket } from './latent-lattice.js';
import { standardNormalCdf } from './quantized-distribution.js';
import { RansStack } from './rans.js';
import { seededUniform } from './test-random.js';
import { UniformDistribution } from './uniform-distribution.js';

/** A standard normal draw by Box–Muller from two uniforms. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('UniformDistribution', () => {
  it.each([1, 3, 7, 4096, 65_535, 65_536])('tiles 2^16 units over %i symbols and finds every slot’s symbol', (size) => {
    const uniform = new UniformDistribution(size);
    let next = 0;
    const misplaced: number[] = [];
    for (let symbol = 0; symbol < size; symbol++) {
      const { start, frequency } = uniform.interval(symbol);
      const tiles = start === next && frequency >= 1 && uniform.symbolOf(start) === symbol && uniform.symbolOf(start + frequency - 1) === symbol;
      if (!tiles) misplaced.push(symbol);
      next = start + frequency;
    }
    expect(misplaced).toEqual([]);
    expect(next).toBe(65_536);
  });

  it('refuses more symbols than units', () => {
    expect(() => new UniformDistribution(5, 2)).toThrow(/does not fit/);
  });
});

describe('LatentLattice', () => {
  const lattice = new LatentLattice(10);

  it('cuts the standard normal into buckets of equal mass, each centre inside its bucket', () => {
    expect(lattice.buckets).toBe(1024);
    expect(lattice.edges[0]).toBe(-Infinity);
    expect(lattice.edges[1024]).toBe(Infinity);
    for (let i = 0; i < lattice.buckets; i++) {
      const mass = standardNormalCdf(lattice.edges[i + 1]) - standardNormalCdf(lattice.edges[i]);
      expect(mass).toBeCloseTo(1 / 1024, 12);
      expect(lattice.bucketOf(lattice.centres[i])).toBe(i);
      expect(Math.exp(lattice.logGaussianMass(i, 0, 1))).toBeCloseTo(1 / 1024, 12);
    }
    expect(lattice.centres[512]).toBeCloseTo(0.001224, 5); // Φ⁻¹(1025/2048)
  });

  it('codes buckets of any Gaussian exactly, in and beyond its window, at the cost of their quantised probabilities', () => {
    const random = seededUniform(4);
    const cases = Array.from({ length: 6000 }, (_, k) => {
      const mean = 3 * normal(random);
      const std = Math.exp(-6 + 6 * random());
      // Most buckets drawn from the Gaussian itself; every 50th anywhere on the lattice (the tails).
      const bucket = k % 50 === 0 ? Math.floor(random() * lattice.buckets) : lattice.bucketOf(mean + std * normal(random));
      return { window: gaussianBucketWindow(lattice, mean, std), bucket };
    });
    const stack = new RansStack();
    let ideal = 0;
    for (const { window, bucket } of cases) {
      pushBucket(stack, bucket, window, lattice);
      ideal += bucketBits(bucket, window, lattice);
    }
    expect(stack.lengthInBits).toBeLessThan(ideal * 1.001 + 96);
    expect(stack.lengthInBits).toBeGreaterThan(ideal - 32);
    for (let k = cases.length - 1; k >= 0; k--) expect(popBucket(stack, cases[k].window, lattice)).toBe(cases[k].bucket);
    expect(stack.isEmpty).toBe(true);
  });

  it('gives a Gaussian’s window probabilities within quantisation of its bucket masses', () => {
    const window = gaussianBucketWindow(lattice, 0.3, 0.05);
    for (let bucket = window.first; bucket <= window.last; bucket++) {
      const exact = Math.exp(lattice.logGaussianMass(bucket, 0.3, 0.05));
      const quantised = 2 ** -bucketBits(bucket, window, lattice);
      expect(Math.abs(quantised - exact)).toBeLessThan(2 ** -15);
    }
  });

  it('refuses what it cannot code', () => {
    expect(() => new LatentLattice(17)).toThrow(/lattice bits/);
    expect(() => gaussianBucketWindow(lattice, 0, 0)).toThrow(/σ > 0/);
    expect(() => lattice.bucketOf(Number.NaN)).toThrow(/NaN/);
  });
});
