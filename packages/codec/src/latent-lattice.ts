import { exactLog } from './exact-math.js';
import { quantizeProbabilities, type QuantizedDistribution, standardNormalBucketEdges, standardNormalCdf } from './quantized-distribution.js';
import { MAX_PRECISION, type RansStack } from './rans.js';
import { UniformDistribution } from './uniform-distribution.js';

/**
 * The grid on which bits-back coding places continuous latents (Townsend, Bird and Barber 2019,
 * §2.5.1): each coordinate is cut into B = 2^bits buckets of equal mass 1/B under the standard
 * normal, with edges e_0 = −∞ < e_1 < … < e_B = +∞ at the quantiles Φ⁻¹(i/B), and a bucket stands
 * for its median Φ⁻¹((i + ½)/B) (its centre). A latent is coded as its bucket index, so a
 * distribution over a latent becomes the probability of each bucket, P(i) = F(e_{i+1}) − F(e_i).
 * Under the standard normal every bucket has exactly 1/B, so that prior costs `bits` per
 * coordinate; the bucket widths near 0 are about √(2π)/B. With a `scale` s, the same grid for
 * N(0, s²): every edge and centre times s.
 */
const lattices = new Map<string, { edges: Float64Array; centres: Float64Array }>();

export class LatentLattice {
  /** B + 1 ascending edges, the first −∞ and the last +∞. */
  readonly edges: Float64Array;
  /** The B bucket centres: the medians of the buckets under the standard normal. */
  readonly centres: Float64Array;
  readonly buckets: number;

  constructor(
    readonly bits: number,
    /** The lattice of N(0, scale²) instead: every edge and centre times `scale` (for latents spread wider than the standard normal). */
    readonly scale = 1,
  ) {
    if (!(Number.isInteger(bits) && bits >= 1 && bits <= MAX_PRECISION))
      throw new RangeError(`lattice bits must be a whole number from 1 to ${MAX_PRECISION}, got ${bits}`);
    if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`a lattice's scale must be finite and > 0, got ${scale}`);
    this.buckets = 2 ** bits;
    // Built once per (bits, scale): a 16-bit lattice is 2^17 quantiles.
    const key = `${bits}/${scale}`;
    let grid = lattices.get(key);
    if (!grid) {
      // One set of quantiles at 1/(2B) steps gives both: even ones are the edges, odd ones the centres.
      const fine = standardNormalBucketEdges(2 * this.buckets);
      grid = {
        edges: Float64Array.from({ length: this.buckets + 1 }, (_, i) => scale * fine[2 * i]),
        centres: Float64Array.from({ length: this.buckets }, (_, i) => scale * fine[2 * i + 1]),
      };
      lattices.set(key, grid);
    }
    this.edges = grid.edges;
    this.centres = grid.centres;
  }

  /** The bucket that holds `value`: the largest i with e_i ≤ value. */
  bucketOf(value: number): number {
    if (Number.isNaN(value)) throw new RangeError('a latent value is NaN');
    let low = 0;
    let high = this.buckets - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.edges[middle] <= value) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /**
   * log P(bucket) under N(mean, std²), in float64, the upper tail taken through Φ(−t) so that far
   * buckets keep their precision; at least log(10⁻³⁰⁰) so that a far bucket is improbable, not impossible.
   */
  logGaussianMass(bucket: number, mean: number, std: number): number {
    const lower = (this.edges[bucket] - mean) / std;
    const upper = (this.edges[bucket + 1] - mean) / std;
    const mass = lower > 0 ? standardNormalCdf(-lower) - standardNormalCdf(-upper) : standardNormalCdf(upper) - standardNormalCdf(lower);
    return exactLog(Math.max(mass, 1e-300));
  }
}

/** How a Gaussian over the lattice is coded: how wide a window of buckets, and the precision. */
export interface BucketWindowOptions {
  /** Half-width of the window of buckets given their own probabilities, in standard deviations (default 8). */
  widthInStd?: number;
  /** The most buckets in a window (default 8192; a wider Gaussian keeps this many around its mean, the rest coded as tails). */
  maxBuckets?: number;
  precision?: number;
}

/**
 * A Gaussian N(μ, σ²) on the buckets `range[0]…range[1]` of the lattice, coded through a window:
 * the buckets that meet [μ − wσ, μ + wσ] and hold at least one unit of 2^−precision of the range's
 * mass each get their own probability, and the buckets below and above the window share one
 * symbol each (their total mass). A bucket in a tail is then coded the same way under the Gaussian
 * restricted to that tail, so the far buckets keep the Gaussian's shape instead of being raised to
 * one unit each (which on a fine lattice would hand thousands of units, and so real probability,
 * to buckets far from the mean). When the range's mass underflows, its buckets are coded uniformly.
 */
export interface BucketWindow {
  first: number;
  last: number;
  /** Symbols: [below], first…last, [above]; `below`/`above` only when such buckets exist in the range. Null: uniform over the range. */
  distribution: QuantizedDistribution | null;
  hasBelow: boolean;
  hasAbove: boolean;
  mean: number;
  std: number;
  range: [number, number];
  options: BucketWindowOptions;
}

/** Φ at a standardised edge, and its complement, each through the side that keeps precision in the far tail. */
const cdfBelow = (t: number) => (t > 0 ? 1 - standardNormalCdf(-t) : standardNormalCdf(t));
const cdfAbove = (t: number) => (t > 0 ? standardNormalCdf(-t) : 1 - standardNormalCdf(t));

/** The mass of the buckets low…high under N(mean, std²). */
function rangeMass(lattice: LatentLattice, low: number, high: number, mean: number, std: number): number {
  const lower = (lattice.edges[low] - mean) / std;
  const upper = (lattice.edges[high + 1] - mean) / std;
  return Math.max(0, lower > 0 ? cdfAbove(lower) - cdfAbove(upper) : cdfBelow(upper) - cdfBelow(lower));
}

/** The window of N(mean, std²) on the lattice, or on the buckets of `range` only ({@link BucketWindow}). */
export function gaussianBucketWindow(
  lattice: LatentLattice,
  mean: number,
  std: number,
  options: BucketWindowOptions = {},
  range: [number, number] = [0, lattice.buckets - 1],
): BucketWindow {
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std > 0))
    throw new RangeError(`a Gaussian on the lattice needs a finite mean and σ > 0, got μ = ${mean}, σ = ${std}`);
  const width = options.widthInStd ?? 8;
  const maxBuckets = options.maxBuckets ?? 8192;
  const [low, high] = range;
  const base = { mean, std, range, options };
  const total = rangeMass(lattice, low, high, mean, std);
  if (!(total > 0)) return { ...base, first: low, last: high, distribution: null, hasBelow: false, hasAbove: false };
  // The window: the buckets within ±wσ, clipped to the range; a range wholly beyond them (a far
  // tail) gets its buckets nearest the mean. At most maxBuckets, kept around the mean.
  let first = Math.max(low, lattice.bucketOf(mean - width * std));
  let last = Math.min(high, lattice.bucketOf(mean + width * std));
  if (first > high) {
    first = Math.max(low, high - maxBuckets + 1);
    last = high;
  } else if (last < low) {
    first = low;
    last = Math.min(high, low + maxBuckets - 1);
  } else if (last - first + 1 > maxBuckets) {
    first = Math.max(low, Math.min(high, lattice.bucketOf(mean)) - Math.floor(maxBuckets / 2));
    last = Math.min(high, first + maxBuckets - 1);
  }
  // Φ once per edge rather than twice per bucket (the window's cost is mostly these): the same
  // numbers as rangeMass bucket by bucket, bit for bit.
  const belowAt = new Float64Array(last - first + 2);
  const aboveAt = new Float64Array(last - first + 2);
  const positive = new Uint8Array(last - first + 2);
  for (let e = first; e <= last + 1; e++) {
    const t = (lattice.edges[e] - mean) / std;
    const tail = standardNormalCdf(t > 0 ? -t : t);
    positive[e - first] = t > 0 ? 1 : 0;
    belowAt[e - first] = t > 0 ? 1 - tail : tail;
    aboveAt[e - first] = t > 0 ? tail : 1 - tail;
  }
  const masses = new Float64Array(last - first + 1);
  for (let k = 0; k <= last - first; k++) masses[k] = Math.max(0, positive[k] ? aboveAt[k] - aboveAt[k + 1] : belowAt[k + 1] - belowAt[k]);
  // Buckets worth less than one unit leave the window for the tails (coded there under the same Gaussian).
  const unit = total * 2 ** -(options.precision ?? MAX_PRECISION);
  let largest = 0;
  for (let k = 1; k < masses.length; k++) if (masses[k] > masses[largest]) largest = k;
  let trimLow = 0;
  while (trimLow < largest && masses[trimLow] < unit) trimLow++;
  let trimHigh = masses.length - 1;
  while (trimHigh > largest && masses[trimHigh] < unit) trimHigh--;
  const windowFirst = first + trimLow;
  const windowLast = first + trimHigh;
  const hasBelow = windowFirst > low;
  const hasAbove = windowLast < high;
  const probabilities = new Float64Array(trimHigh - trimLow + 1 + (hasBelow ? 1 : 0) + (hasAbove ? 1 : 0));
  let k = 0;
  if (hasBelow) probabilities[k++] = rangeMass(lattice, low, windowFirst - 1, mean, std);
  for (let i = trimLow; i <= trimHigh; i++) probabilities[k++] = masses[i];
  if (hasAbove) probabilities[k++] = rangeMass(lattice, windowLast + 1, high, mean, std);
  if (probabilities.every((p) => p === 0)) return { ...base, first: low, last: high, distribution: null, hasBelow: false, hasAbove: false };
  return {
    ...base,
    first: windowFirst,
    last: windowLast,
    hasBelow,
    hasAbove,
    distribution: quantizeProbabilities(probabilities, options.precision ?? MAX_PRECISION),
  };
}

/** The window of a tail: the same Gaussian on the buckets below (or above) the window. */
function tailWindow(window: BucketWindow, lattice: LatentLattice, side: 'below' | 'above'): BucketWindow {
  const range: [number, number] = side === 'below' ? [window.range[0], window.first - 1] : [window.last + 1, window.range[1]];
  return gaussianBucketWindow(lattice, window.mean, window.std, window.options, range);
}

/** Pushes a bucket index under a window (a bucket in a tail: under the tail's own window, then the tail's symbol). */
export function pushBucket(stack: RansStack, bucket: number, window: BucketWindow, lattice: LatentLattice): void {
  const { first, last, distribution, hasBelow, range } = window;
  if (!(Number.isInteger(bucket) && bucket >= range[0] && bucket <= range[1])) throw new RangeError(`bucket ${bucket} is outside ${range[0]}…${range[1]}`);
  if (!distribution) {
    pushUniform(stack, bucket - range[0], range[1] - range[0] + 1);
    return;
  }
  if (bucket < first) {
    pushBucket(stack, bucket, tailWindow(window, lattice, 'below'), lattice);
    stack.push(distribution.interval(0), distribution.precision);
  } else if (bucket > last) {
    pushBucket(stack, bucket, tailWindow(window, lattice, 'above'), lattice);
    stack.push(distribution.interval(distribution.size - 1), distribution.precision);
  } else {
    stack.push(distribution.interval(bucket - first + (hasBelow ? 1 : 0)), distribution.precision);
  }
}

/** Pops a bucket index pushed by {@link pushBucket} with the same window. */
export function popBucket(stack: RansStack, window: BucketWindow, lattice: LatentLattice): number {
  const { first, distribution, hasBelow, hasAbove, range } = window;
  if (!distribution) return range[0] + popUniform(stack, range[1] - range[0] + 1);
  const symbol = stack.pop(distribution);
  if (hasBelow && symbol === 0) return popBucket(stack, tailWindow(window, lattice, 'below'), lattice);
  if (hasAbove && symbol === distribution.size - 1) return popBucket(stack, tailWindow(window, lattice, 'above'), lattice);
  return first + symbol - (hasBelow ? 1 : 0);
}

/** The bits a push of `bucket` under the window costs. */
export function bucketBits(bucket: number, window: BucketWindow, lattice: LatentLattice): number {
  const { first, last, distribution, hasBelow, range } = window;
  if (!distribution) return Math.log2(range[1] - range[0] + 1);
  if (bucket < first) return distribution.bits(0) + bucketBits(bucket, tailWindow(window, lattice, 'below'), lattice);
  if (bucket > last) return distribution.bits(distribution.size - 1) + bucketBits(bucket, tailWindow(window, lattice, 'above'), lattice);
  return distribution.bits(bucket - first + (hasBelow ? 1 : 0));
}

const uniformTables = new Map<number, UniformDistribution>();

function uniformOver(count: number): UniformDistribution {
  let table = uniformTables.get(count);
  if (!table) {
    table = new UniformDistribution(count);
    uniformTables.set(count, table);
  }
  return table;
}

function pushUniform(stack: RansStack, symbol: number, count: number): void {
  if (count > 1) stack.push(uniformOver(count).interval(symbol), MAX_PRECISION);
}

function popUniform(stack: RansStack, count: number): number {
  return count > 1 ? stack.pop(uniformOver(count)) : 0;
}
