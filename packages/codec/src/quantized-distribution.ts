import { exactExp, exactLog, exactSigmoid, exactSqrt } from './exact-math.js';
import { MAX_PRECISION, type SymbolInterval, type SymbolLookup } from './rans.js';

/**
 * A distribution over the symbols 0…n−1 with integer frequencies that sum to 2^precision, every
 * one at least 1 (so every symbol can be coded). Encoder and decoder must build it from the same
 * numbers; {@link quantizeProbabilities} does so in a fixed order of operations, so equal inputs
 * give equal tables on every JavaScript engine.
 */
export class QuantizedDistribution implements SymbolLookup {
  /** Cumulative frequencies: symbol s covers [cumulative[s], cumulative[s + 1]). */
  readonly cumulative: Uint32Array;

  constructor(
    readonly frequencies: Uint32Array,
    readonly precision: number,
  ) {
    if (!Number.isInteger(precision) || precision < 1 || precision > MAX_PRECISION)
      throw new RangeError(`precision must be a whole number of bits from 1 to ${MAX_PRECISION}, got ${precision}`);
    this.cumulative = new Uint32Array(frequencies.length + 1);
    for (let s = 0; s < frequencies.length; s++) {
      if (frequencies[s] < 1) throw new RangeError(`symbol ${s} has frequency ${frequencies[s]}; every symbol needs at least 1 to be codable`);
      this.cumulative[s + 1] = this.cumulative[s] + frequencies[s];
    }
    const total = this.cumulative[frequencies.length];
    if (total !== 2 ** precision) throw new RangeError(`frequencies sum to ${total}, not 2^${precision} = ${2 ** precision}`);
  }

  get size(): number {
    return this.frequencies.length;
  }

  interval(symbol: number): SymbolInterval {
    if (!(Number.isInteger(symbol) && symbol >= 0 && symbol < this.frequencies.length))
      throw new RangeError(`symbol ${symbol} is outside 0…${this.frequencies.length - 1}`);
    return { start: this.cumulative[symbol], frequency: this.frequencies[symbol] };
  }

  /** Binary search for the symbol whose interval holds `slot`. */
  symbolOf(slot: number): number {
    let low = 0;
    let high = this.frequencies.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.cumulative[middle] <= slot) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The quantised probability of a symbol: frequency / 2^precision. */
  probability(symbol: number): number {
    return this.frequencies[symbol] / 2 ** this.precision;
  }

  /** −log₂ of the quantised probability: the bits a push of this symbol costs. */
  bits(symbol: number): number {
    return this.precision - Math.log2(this.frequencies[symbol]);
  }
}

/**
 * Integer frequencies summing to 2^precision from probabilities (any non-negative weights; they
 * are normalised): each symbol gets ⌊p · 2^precision⌋ but at least 1; units still missing go one
 * each to the symbols with the largest remainders, and units over (from symbols raised to 1) are
 * taken one each from the largest frequencies (ties to the lower symbol). So a symbol's quantised
 * probability is within 2^−precision of its own except where the floor of 1 forces more.
 * Throws when a weight is negative or not finite, when all are 0, or when there are more symbols
 * than units.
 */
export function quantizeProbabilities(weights: ArrayLike<number>, precision: number): QuantizedDistribution {
  const n = weights.length;
  const total = 2 ** precision;
  if (n === 0) throw new RangeError('a distribution needs at least one symbol');
  if (n > total) throw new RangeError(`${n} symbols do not fit in 2^${precision} = ${total} units; raise the precision`);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    const w = weights[s];
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`probability of symbol ${s} is ${w}; expected a finite number ≥ 0`);
    sum += w;
  }
  if (!(sum > 0)) throw new RangeError('every probability is 0: nothing to code with');
  const frequencies = new Uint32Array(n);
  const remainders = new Float64Array(n);
  let given = 0;
  for (let s = 0; s < n; s++) {
    const share = (weights[s] / sum) * total;
    const whole = Math.floor(share);
    frequencies[s] = Math.max(1, whole);
    remainders[s] = share - whole;
    given += frequencies[s];
  }
  if (given < total) {
    const order = Array.from({ length: n }, (_, s) => s).sort((a, b) => remainders[b] - remainders[a] || a - b);
    for (let k = 0; given < total; k = (k + 1) % n, given++) frequencies[order[k]] += 1;
  } else if (given > total) {
    const order = Array.from({ length: n }, (_, s) => s).sort((a, b) => frequencies[b] - frequencies[a] || a - b);
    for (let k = 0; given > total; k = (k + 1) % n) {
      if (frequencies[order[k]] > 1) {
        frequencies[order[k]] -= 1;
        given--;
      }
    }
  }
  return new QuantizedDistribution(frequencies, precision);
}

/** Bernoulli(p) over {0, 1}: P(1) = p. */
export function quantizedBernoulli(p: number, precision = MAX_PRECISION): QuantizedDistribution {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Bernoulli probability must be in [0, 1], got ${p}`);
  return quantizeProbabilities([1 - p, p], precision);
}

/** The logistic CDF σ(t) = 1 / (1 + e^(−t)), in float64, the same bits on every engine ({@link exactSigmoid}). */
export const sigmoid = exactSigmoid;

/**
 * The discretized logistic over the integers low…high (Salimans et al. 2017, PixelCNN++; the prior
 * of integer discrete flows, Hoogeboom et al. 2019): P(k) = σ((k + ½ − μ)/s) − σ((k − ½ − μ)/s),
 * with the end bins taking the tails, P(low) = σ((low + ½ − μ)/s) and P(high) = 1 − σ((high − ½ − μ)/s).
 * `logScale` is log s. Symbol i stands for the integer low + i.
 */
export function quantizedDiscretizedLogistic(
  mean: number,
  logScale: number,
  options: { low?: number; high?: number; precision?: number } = {},
): QuantizedDistribution {
  return quantizedLogisticMixture([1], [mean], [logScale], options);
}

/**
 * Checks a mixture's weights and returns their sum: each a finite number ≥ 0, some of them > 0, and
 * a finite sum. A negative weight would make the mixture's probabilities (or its CDF) go down
 * somewhere, which no quantisation can repair: it is refused, naming the component.
 */
export function checkMixtureWeights(weights: ArrayLike<number>): number {
  if (weights.length === 0) throw new RangeError('a mixture needs at least one component');
  let sum = 0;
  for (let j = 0; j < weights.length; j++) {
    const w = weights[j];
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`mixture weight ${j} is ${w}; every weight must be a finite number ≥ 0`);
    sum += w;
  }
  if (!(sum > 0 && Number.isFinite(sum))) throw new RangeError(`the mixture weights sum to ${sum}; they need a finite, positive sum`);
  return sum;
}

/**
 * A mixture of discretized logistics over low…high: P(k) = Σ_j π_j P_j(k), with the mixture weights
 * π (any non-negative weights, normalised; a negative or non-finite weight is refused) and each
 * component as in {@link quantizedDiscretizedLogistic}.
 */
export function quantizedLogisticMixture(
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  logScales: ArrayLike<number>,
  options: { low?: number; high?: number; precision?: number } = {},
): QuantizedDistribution {
  const low = options.low ?? 0;
  const high = options.high ?? 255;
  const precision = options.precision ?? MAX_PRECISION;
  if (!(Number.isInteger(low) && Number.isInteger(high) && high > low))
    throw new RangeError(`the support low…high must be integers with high > low, got ${low}…${high}`);
  if (weights.length !== means.length || means.length !== logScales.length)
    throw new RangeError(`mixture weights, means and log-scales differ in length (${weights.length}, ${means.length}, ${logScales.length})`);
  const weightSum = checkMixtureWeights(weights);
  const probabilities = new Float64Array(high - low + 1);
  for (let j = 0; j < weights.length; j++) {
    const inverseScale = exactExp(-logScales[j]);
    if (!Number.isFinite(inverseScale) || !Number.isFinite(means[j])) throw new RangeError(`component ${j} has mean ${means[j]} and log-scale ${logScales[j]}`);
    let below = 0;
    for (let k = low; k <= high; k++) {
      const above = k === high ? 1 : sigmoid((k + 0.5 - means[j]) * inverseScale);
      probabilities[k - low] += (weights[j] / weightSum) * (above - below);
      below = above;
    }
  }
  return quantizeProbabilities(probabilities, precision);
}

/** The standard normal CDF Φ(t), through the complementary error function (W. J. Cody's rational approximations via erfc). */
export function standardNormalCdf(t: number): number {
  return 0.5 * erfc(-t / Math.SQRT2);
}

/** The Chebyshev coefficients of {@link erfc}. */
const ERFC_COEFFICIENTS = [
  -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5,
  -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10,
  -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16,
  -2.8e-17,
];

/** erfc(x) to about 1e-15 relative error (Numerical Recipes' erfc via a Chebyshev fit, third edition, §6.2). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COEFFICIENTS.length - 1; j > 0; j--) {
    const saved = d;
    d = ty * d - dd + ERFC_COEFFICIENTS[j];
    dd = saved;
  }
  const value = t * exactExp(-z * z + 0.5 * (ERFC_COEFFICIENTS[0] + ty * d) - dd);
  return x >= 0 ? value : 2 - value;
}

/**
 * A Gaussian N(μ, σ²) discretised into the buckets between consecutive `edges` (ascending; the
 * first may be −∞, the last +∞): P(i) = Φ((e_{i+1} − μ)/σ) − Φ((e_i − μ)/σ). With the edges at the
 * standard normal's quantiles ({@link standardNormalBucketEdges}) this is how bits-back coding
 * codes latents under q(z | x) (Townsend et al. 2019).
 */
export function quantizedGaussianBuckets(mean: number, std: number, edges: ArrayLike<number>, precision = MAX_PRECISION): QuantizedDistribution {
  if (!(std > 0 && Number.isFinite(std) && Number.isFinite(mean)))
    throw new RangeError(`a Gaussian needs a finite mean and σ > 0, got μ = ${mean}, σ = ${std}`);
  const probabilities = new Float64Array(edges.length - 1);
  let below = standardNormalCdf((edges[0] - mean) / std);
  for (let i = 0; i + 1 < edges.length; i++) {
    const above = standardNormalCdf((edges[i + 1] - mean) / std);
    probabilities[i] = Math.max(0, above - below);
    below = above;
  }
  return quantizeProbabilities(probabilities, precision);
}

const INV_SQRT_2PI = 0.3989422804014327;

/**
 * Abramowitz and Stegun's 26.2.23: −Φ⁻¹(p) for 0 < p ≤ ½ to within 4.5·10⁻⁴, given t = √(−2 ln p)
 * (exact when t is: it uses +, × and ÷ only).
 */
export function normalQuantileStart(t: number): number {
  return t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
}

/**
 * Φ⁻¹(p) for 0 < p ≤ ½: Abramowitz and Stegun's 26.2.23 as the start (error below 4.5·10⁻⁴),
 * then four Newton steps on Φ(x) − p (each squares the error: below rounding after three), with
 * `@flows/codec`'s exact exp, log and sqrt, so the same bits on every engine.
 */
function lowerNormalQuantile(p: number): number {
  let x = -normalQuantileStart(exactSqrt(-2 * exactLog(p)));
  for (let step = 0; step < 4; step++) x -= (standardNormalCdf(x) - p) / (INV_SQRT_2PI * exactExp(-0.5 * x * x));
  return x;
}

/**
 * `buckets + 1` edges that split the standard normal into buckets of equal mass 1/buckets: −∞,
 * Φ⁻¹(1/buckets), …, +∞: the lower half by {@link lowerNormalQuantile}, the upper half its mirror
 * image (exactly symmetric, and as precise in the upper tail as in the lower). The same on every
 * engine; a 16-bit lattice's 2^17 quantiles take a tenth of a second.
 */
export function standardNormalBucketEdges(buckets: number): Float64Array {
  if (!(Number.isInteger(buckets) && buckets >= 2)) throw new RangeError(`buckets must be a whole number ≥ 2, got ${buckets}`);
  const edges = new Float64Array(buckets + 1);
  edges[0] = -Infinity;
  edges[buckets] = Infinity;
  for (let i = 1; 2 * i <= buckets; i++) edges[i] = 2 * i === buckets ? 0 : lowerNormalQuantile(i / buckets);
  for (let i = Math.floor(buckets / 2) + 1; i < buckets; i++) edges[i] = -edges[buckets - i];
  return edges;
}

/** The centre (median under the standard normal) of each bucket, the value a decoded latent takes. */
export function standardNormalBucketCentres(buckets: number): Float64Array {
  const edges = standardNormalBucketEdges(2 * buckets);
  return Float64Array.from({ length: buckets }, (_, i) => edges[2 * i + 1]);
}
