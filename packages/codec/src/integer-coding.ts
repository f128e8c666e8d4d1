import { exactExp, exactLog, floorLog2 } from './exact-math.js';
import {
  checkMixtureWeights,
  quantizedBernoulli,
  quantizedDiscretizedLogistic,
  quantizedLogisticMixture,
  type QuantizedDistribution,
  sigmoid,
} from './quantized-distribution.js';
import { MAX_PRECISION, RansError, type RansStack, type SymbolInterval, type SymbolLookup } from './rans.js';

/** A quantised distribution over a window's symbols 0…size−1: a table ({@link QuantizedDistribution}) or one computed on demand. */
export interface WindowDistribution extends SymbolLookup {
  readonly size: number;
}

/** A coded window: its lowest integer and the quantised distribution over it. Build once per (μ, log s) and reuse. */
export interface IntegerWindow {
  low: number;
  distribution: WindowDistribution;
}

/** A window whose distribution is a table ({@link integerWindow}, {@link integerMixtureWindow}): its symbols' bits can be read off. */
export interface TabulatedIntegerWindow extends IntegerWindow {
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
export function integerWindow(mean: number, logScale: number, options: IntegerCodingOptions = {}): TabulatedIntegerWindow {
  const halfWidth = options.halfWidth ?? Math.min(4096, Math.max(16, Math.ceil(15 * exactExp(logScale))));
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
): TabulatedIntegerWindow {
  const precision = options.precision ?? MAX_PRECISION;
  checkMixtureWeights(weights);
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  let heaviest = 0;
  let total = 0;
  for (let k = 0; k < weights.length; k++) {
    const reach = options.halfWidth ?? Math.max(16, Math.ceil(15 * exactExp(logScales[k])));
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
      const inverseScale = exactExp(-logScales[k]);
      p += (weights[k] / total) * (sigmoid((value + 0.5 - means[k]) * inverseScale) - sigmoid((value - 0.5 - means[k]) * inverseScale));
    }
    return p;
  };
  const unit = 2 ** -precision;
  while (high - low > 2 && mass(low + 1) < unit) low++;
  while (high - low > 2 && mass(high - 1) < unit) high--;
  return { low, distribution: quantizedLogisticMixture(weights, means, logScales, { low, high, precision }) };
}

/**
 * A distribution over the bins low…high (end bins taking the tails) whose quantised CDF is computed
 * where it is needed instead of tabulated:
 *
 * `C(0) = 0`, `C(n) = 2^P`, `C(k) = ⌊G(low + k − ½)·(2^P − n)⌋ + k` for 0 < k < n,
 *
 * with n = high − low + 1 symbols and G the continuous CDF that a subclass gives. Every symbol gets
 * at least one unit (the `+ k`), at the price of n units of 2^P set aside: about n / 2^P / ln 2 bits
 * per symbol. A push evaluates C twice and a pop about log₂ n times (a binary search), or two or
 * three times where the subclass can guess the symbol from its inverse CDF (`guess`: the scaled
 * kernels), against n CDFs and a sort for a table: the choice for windows that are used once, such
 * as a conditional prior's, one per image and coordinate.
 */
export abstract class ComputedCdfLookup implements WindowDistribution {
  /** The window's lowest integer and its number of symbols (a subclass may move the window: {@link ComputedCdfLookup.moveWindow}). */
  low = 0;
  size = 0;
  private readonly total: number;
  /** 2^P − n: the units the CDF spreads over. */
  private spread = 0;
  /** The symbol {@link ComputedCdfLookup.symbolOf} found last and its interval, which a pop asks for next. */
  private foundSymbol = -1;
  private foundStart = 0;
  private foundEnd = 0;

  constructor(
    low: number,
    high: number,
    readonly precision: number = MAX_PRECISION,
  ) {
    this.total = 2 ** precision;
    this.moveWindow(low, high);
  }

  /** Sets the window to the bins low…high (for a subclass that codes many windows with one object). */
  protected moveWindow(low: number, high: number): void {
    const size = high - low + 1;
    if (!(Number.isInteger(low) && Number.isInteger(high) && size >= 2 && size <= this.total / 2))
      throw new RangeError(`a window low…high needs integers with 2 to 2^(precision − 1) symbols, got ${low}…${high}`);
    this.low = low;
    this.size = size;
    this.spread = this.total - size;
    this.foundSymbol = -1;
  }

  /** G(t), the continuous CDF at a bin's lower edge t. */
  protected abstract cdf(t: number): number;

  /**
   * Where a pop's search starts: a symbol near the one whose interval holds `slot` (a subclass that
   * can invert its CDF cheaply says so; any value in 0…size − 1 gives the same symbol, only sooner
   * or later), or −1 for a plain binary search.
   */
  protected guess(_slot: number): number {
    return -1;
  }

  /** C(k): the start of symbol k's interval. */
  private edge(k: number): number {
    if (k <= 0) return 0;
    if (k >= this.size) return this.total;
    return Math.floor(Math.min(1, this.cdf(this.low + k - 0.5)) * this.spread) + k;
  }

  interval(symbol: number): SymbolInterval {
    if (symbol === this.foundSymbol) return { start: this.foundStart, frequency: this.foundEnd - this.foundStart };
    if (!(Number.isInteger(symbol) && symbol >= 0 && symbol < this.size)) throw new RangeError(`symbol ${symbol} is outside 0…${this.size - 1}`);
    const start = this.edge(symbol);
    return { start, frequency: this.edge(symbol + 1) - start };
  }

  /**
   * The symbol k with C(k) ≤ slot < C(k + 1): from the subclass's guess, steps of growing length
   * until the slot is bracketed, then bisection (without a guess, bisection over the window).
   */
  symbolOf(slot: number): number {
    // Invariant: C(low) ≤ slot < C(high + 1), with lowEdge = C(low) and highEdge = C(high + 1).
    let low = 0;
    let high = this.size - 1;
    let lowEdge = 0;
    let highEdge = this.total;
    const start = this.guess(slot);
    if (start >= 0 && start < this.size) {
      const at = this.edge(start);
      if (at <= slot) {
        low = start;
        lowEdge = at;
        for (let step = 1; low < high; step *= 2) {
          const probe = Math.min(high, low + step);
          const edge = this.edge(probe);
          if (edge > slot) {
            high = probe - 1;
            highEdge = edge;
            break;
          }
          low = probe;
          lowEdge = edge;
        }
      } else {
        high = start - 1;
        highEdge = at;
        for (let step = 1; low < high; step *= 2) {
          const probe = Math.max(low, high - step + 1);
          const edge = this.edge(probe);
          if (edge <= slot) {
            low = probe;
            lowEdge = edge;
            break;
          }
          high = probe - 1;
          highEdge = edge;
        }
      }
    }
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      const edge = this.edge(middle);
      if (edge <= slot) {
        low = middle;
        lowEdge = edge;
      } else {
        high = middle - 1;
        highEdge = edge;
      }
    }
    this.foundSymbol = low;
    this.foundStart = lowEdge;
    this.foundEnd = highEdge;
    return low;
  }
}

/** A mixture of discretized logistics as a {@link ComputedCdfLookup}: G(t) = Σ_k π_k σ((t − μ_k)/s_k). */
export class MixtureCdfLookup extends ComputedCdfLookup {
  private readonly weights: Float64Array;
  private readonly means: Float64Array;
  private readonly inverseScales: Float64Array;

  constructor(
    weights: ArrayLike<number>,
    means: ArrayLike<number>,
    logScales: ArrayLike<number>,
    low: number,
    high: number,
    precision: number = MAX_PRECISION,
  ) {
    super(low, high, precision);
    const total = checkMixtureWeights(weights);
    this.weights = Float64Array.from(weights, (w) => w / total);
    this.means = Float64Array.from(means);
    this.inverseScales = Float64Array.from(logScales, (logScale) => exactExp(-logScale));
    for (let k = 0; k < weights.length; k++)
      if (!(Number.isFinite(this.means[k]) && Number.isFinite(this.inverseScales[k]) && this.inverseScales[k] > 0))
        throw new RangeError(`component ${k} has mean ${means[k]} and log-scale ${logScales[k]}`);
  }

  protected cdf(t: number): number {
    let cdf = 0;
    for (let j = 0; j < this.weights.length; j++) cdf += this.weights[j] * sigmoid((t - this.means[j]) * this.inverseScales[j]);
    return cdf;
  }
}

/**
 * {@link MixtureCdfLookup} over a window found without scanning: component k reaches
 * `s_k · ln(4 π_k 2^P / s_k)` from its location (where its bins fall below a quarter unit of 2^−P,
 * a logistic's tail mass being about e^(−d/s)), at least 2; components worth under 2^−(P+3) are left
 * to the end bins. At most 4096 bins, around the heaviest component. Integers beyond the window are
 * coded as with {@link integerWindow}.
 */
export function integerMixtureCdfWindow(
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  logScales: ArrayLike<number>,
  options: { precision?: number } = {},
): IntegerWindow {
  const precision = options.precision ?? MAX_PRECISION;
  checkMixtureWeights(weights);
  let total = 0;
  let heaviest = 0;
  for (let k = 0; k < weights.length; k++) {
    total += weights[k];
    if (weights[k] > weights[heaviest]) heaviest = k;
  }
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < weights.length; k++) {
    const share = (weights[k] / total) * 2 ** precision;
    if (share < 1 / 8 && k !== heaviest) continue;
    const scale = exactExp(logScales[k]);
    const reach = Math.max(2, Math.ceil(scale * exactLog(Math.max(1, (4 * share) / scale))));
    low = Math.min(low, Math.round(means[k]) - reach);
    high = Math.max(high, Math.round(means[k]) + reach);
  }
  if (!(Number.isFinite(low) && Number.isFinite(high))) throw new RangeError('a mixture window needs finite locations and some positive weight');
  if (high - low + 1 > 4096) {
    low = Math.max(low, Math.round(means[heaviest]) - 2048);
    high = Math.min(high, low + 4095);
  }
  return { low, distribution: new MixtureCdfLookup(weights, means, logScales, low, high, precision) };
}

/** Pushes n ≥ 1 in Elias gamma code as fair bits, so that pops read it in code order. */
function pushEliasGamma(stack: RansStack, n: number): void {
  const bits = floorLog2(n);
  // Code order: `bits` zeros, then the bits+1 binary digits of n from the top. Pushed in reverse.
  for (let k = 0; k <= bits; k++) stack.push(FAIR_BIT.interval(Math.floor(n / 2 ** k) % 2), 1);
  for (let k = 0; k < bits; k++) stack.push(FAIR_BIT.interval(0), 1);
}

function popEliasGamma(stack: RansStack): number {
  let bits = 0;
  while (stack.pop(FAIR_BIT) === 0) {
    bits++;
    if (bits > 52) throw new RansError('an overflow code longer than 52 bits: the message is corrupt, or was decoded with other frequencies');
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
