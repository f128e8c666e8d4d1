import { quantizedBernoulli, quantizedDiscretizedLogistic, quantizedLogisticMixture, type QuantizedDistribution, sigmoid } from './quantized-distribution.js';
import { MAX_PRECISION, type RansStack } from './rans.js';

/** A coded window: its lowest integer and the quantised distribution over it. Build once per (μ, log s) and reuse. */
export interface IntegerWindow {
  low: number;
  distribution: QuantizedDistribution;
}

/** How integers under a discretized logistic are coded: the window's half-width in bins and the precision. */
export interface IntegerCodingOptions {
  /**
   * Half-width W of the coded window around the rounded location c: bins c − W … c + W. Default:
   * 15 s (at least 16, at most 4096), which leaves a tail mass of 2/(1 + e^15) ≈ 6·10⁻⁷ beyond it.
   */
  halfWidth?: number;
  precision?: number;
}

const FAIR_BIT = quantizedBernoulli(0.5, 1);

/**
 * The discretized logistic of location μ and log-scale log s over the window c − W … c + W with
 * c = round(μ); its end bins take the tails, so "at or below c − W" and "at or above c + W" are
 * symbols too (an integer beyond them is coded by {@link pushInteger} as an end bin plus its excess).
 */
export function integerWindow(mean: number, logScale: number, options: IntegerCodingOptions = {}): IntegerWindow {
  const halfWidth = options.halfWidth ?? Math.min(4096, Math.max(16, Math.ceil(15 * Math.exp(logScale))));
  if (!(Number.isInteger(halfWidth) && halfWidth >= 1)) throw new RangeError(`halfWidth must be a whole number ≥ 1, got ${halfWidth}`);
  const centre = Math.round(mean);
  const low = centre - halfWidth;
  return { low, distribution: quantizedDiscretizedLogistic(mean, logScale, { low, high: centre + halfWidth, precision: options.precision ?? MAX_PRECISION }) };
}

/**
 * A mixture of discretized logistics (weights π_k, locations μ_k, log-scales log s_k; the base of an
 * integer discrete flow with a mixture prior) over a window that spans every component's ±15 s_k
 * (at most 4096 bins around the heaviest component), its end bins taking the tails. End bins worth
 * less than one unit of 2^−precision are trimmed off into the tails, so that the window does not
 * spend units on bins that are never seen; integers beyond it are coded as with {@link integerWindow}.
 */
export function integerMixtureWindow(
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  logScales: ArrayLike<number>,
  options: IntegerCodingOptions = {},
): IntegerWindow {
  const precision = options.precision ?? MAX_PRECISION;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  let heaviest = 0;
  let total = 0;
  for (let k = 0; k < weights.length; k++) {
    const reach = options.halfWidth ?? Math.max(16, Math.ceil(15 * Math.exp(logScales[k])));
    low = Math.min(low, Math.round(means[k]) - reach);
    high = Math.max(high, Math.round(means[k]) + reach);
    if (weights[k] > weights[heaviest]) heaviest = k;
    total += weights[k];
  }
  if (!(Number.isFinite(low) && Number.isFinite(high) && total > 0)) throw new RangeError('a mixture window needs finite locations and some positive weight');
  if (high - low + 1 > 4096) {
    low = Math.max(low, Math.round(means[heaviest]) - 2048);
    high = Math.min(high, low + 4095);
  }
  // P(k) at each integer of the window (the mixture's bin masses), to trim improbable end bins.
  const mass = (value: number) => {
    let p = 0;
    for (let k = 0; k < weights.length; k++) {
      const inverseScale = Math.exp(-logScales[k]);
      p += (weights[k] / total) * (sigmoid((value + 0.5 - means[k]) * inverseScale) - sigmoid((value - 0.5 - means[k]) * inverseScale));
    }
    return p;
  };
  const unit = 2 ** -precision;
  while (high - low > 2 && mass(low + 1) < unit) low++;
  while (high - low > 2 && mass(high - 1) < unit) high--;
  return { low, distribution: quantizedLogisticMixture(weights, means, logScales, { low, high, precision }) };
}

/** Pushes n ≥ 1 in Elias gamma code as fair bits, so that pops read it in code order. */
function pushEliasGamma(stack: RansStack, n: number): void {
  const bits = Math.floor(Math.log2(n));
  // Code order: `bits` zeros, then the bits+1 binary digits of n from the top. Pushed in reverse.
  for (let k = 0; k <= bits; k++) stack.push(FAIR_BIT.interval(Math.floor(n / 2 ** k) % 2), 1);
  for (let k = 0; k < bits; k++) stack.push(FAIR_BIT.interval(0), 1);
}

function popEliasGamma(stack: RansStack): number {
  let bits = 0;
  while (stack.pop(FAIR_BIT) === 0) {
    bits++;
    if (bits > 52) throw new RangeError('an overflow code longer than 52 bits: the message is corrupt');
  }
  let n = 1;
  for (let k = 0; k < bits; k++) n = 2 * n + stack.pop(FAIR_BIT);
  return n;
}

/**
 * Pushes an integer under the window of a discretized logistic ({@link integerWindow}): its bin
 * when inside, else the end bin and then (beneath it on the stack) the excess beyond it in Elias
 * gamma code. Costs −log₂ P(bin) bits, plus about 2 log₂(excess) for integers beyond the window.
 * Pop with {@link popInteger} and the same window.
 */
export function pushInteger(stack: RansStack, value: number, window: IntegerWindow): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`only integers can be coded exactly, got ${value}`);
  const { low, distribution } = window;
  const high = low + distribution.size - 1;
  if (value <= low) {
    pushEliasGamma(stack, low - value + 1);
    stack.push(distribution.interval(0), distribution.precision);
  } else if (value >= high) {
    pushEliasGamma(stack, value - high + 1);
    stack.push(distribution.interval(distribution.size - 1), distribution.precision);
  } else {
    stack.push(distribution.interval(value - low), distribution.precision);
  }
}

/** Pops an integer pushed by {@link pushInteger} with the same window. */
export function popInteger(stack: RansStack, window: IntegerWindow): number {
  const { low, distribution } = window;
  const symbol = stack.pop(distribution);
  if (symbol === 0) return low - (popEliasGamma(stack) - 1);
  if (symbol === distribution.size - 1) return low + symbol + (popEliasGamma(stack) - 1);
  return low + symbol;
}
