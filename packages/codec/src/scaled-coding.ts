import { exactSigmoid } from './exact-math.js';
import { ComputedCdfLookup, type IntegerWindow, popInteger, pushInteger } from './integer-coding.js';
import { standardNormalCdf } from './quantized-distribution.js';
import { MAX_PRECISION, RansError, type RansStack, type SymbolInterval } from './rans.js';

/** The continuous kernel a coded integer is discretised from: a logistic of scale s or a Gaussian of standard deviation s. */
export type ScaledKernel = 'logistic' | 'gaussian';

/**
 * Scales above this many bins are coded in two parts (see {@link pushScaled}): the window of a
 * direct code would span thousands of bins, each holding a unit of 2^−16 it seldom uses.
 */
const SPLIT_ABOVE = 16;

/** How far from its centre a window reaches, in multiples of the scale: the tail beyond holds under 2^−18 of the mass. */
const REACH = { logistic: 13, gaussian: 5.2 } as const;

/** A kernel as a {@link ComputedCdfLookup}: G(t) = σ((t − μ)/s) or Φ((t − μ)/s). */
class KernelCdfLookup extends ComputedCdfLookup {
  private readonly inverseScale: number;

  constructor(
    private readonly kernel: ScaledKernel,
    private readonly mean: number,
    scale: number,
    low: number,
    high: number,
  ) {
    super(low, high);
    this.inverseScale = 1 / scale;
  }

  protected cdf(t: number): number {
    const z = (t - this.mean) * this.inverseScale;
    return this.kernel === 'logistic' ? exactSigmoid(z) : standardNormalCdf(z);
  }
}

function checkedWindow(kernel: ScaledKernel, mean: number, scale: number): IntegerWindow {
  if (!(Number.isFinite(mean) && Number.isFinite(scale) && scale > 0))
    throw new RangeError(`a coded kernel needs a finite mean and a positive scale, got ${mean} and ${scale}`);
  // A few bins of margin: a step's data-side window then holds every value its base-side window can send back.
  const reach = Math.ceil(REACH[kernel] * scale) + 3;
  const centre = Math.round(mean);
  return { low: centre - reach, distribution: new KernelCdfLookup(kernel, mean, scale, centre - reach, centre + reach) };
}

/**
 * How values beyond a window are coded: `escape` as an end bin and an Elias gamma excess (any
 * integer can be pushed), `window` not at all (a pop returns a bin of the window, its end bins
 * holding the tails' mass; a push of a value outside is refused). Bits-back coding pops with
 * `window`: a pop reading the bits of a just-pushed end bin would otherwise escape too, read back
 * the excess pushed under it, and so on down a chain of ever larger values.
 */
export type Tails = 'escape' | 'window';

function pushIn(stack: RansStack, value: number, window: IntegerWindow, tails: Tails): void {
  if (tails === 'escape') {
    pushInteger(stack, value, window);
    return;
  }
  const symbol = value - window.low;
  if (!(symbol >= 0 && symbol < window.distribution.size))
    throw new RansError(
      `${value} lies outside the window ${window.low}…${window.low + window.distribution.size - 1} it was popped from: the message is corrupt`,
    );
  stack.push(window.distribution.interval(symbol), window.distribution.precision);
}

function popIn(stack: RansStack, window: IntegerWindow, tails: Tails): number {
  return tails === 'escape' ? popInteger(stack, window) : window.low + stack.pop(window.distribution);
}

/** The bits split off a scale: 0 up to {@link SPLIT_ABOVE}, else enough to bring the coarse scale into [8, 16). */
function splitBits(scale: number): number {
  let bits = 0;
  while (scale > SPLIT_ABOVE) {
    scale /= 2;
    bits++;
  }
  return bits;
}

const LOW_BITS = { interval: (symbol: number): SymbolInterval => ({ start: symbol, frequency: 1 }) };

/**
 * Pushes an integer v under the kernel of location μ and scale s discretised to the integers (bin
 * v covers [v − ½, v + ½)), costing about −log₂ of the kernel's mass there. Up to 16 bins of scale
 * the bin is coded directly; above, v is coded as its coarse bin ⌊v / 2^r⌋ under the same kernel at
 * scale s / 2^r ∈ (8, 16] and then its r low bits as uniform, which costs about the density's
 * variation within a coarse bin (second order in 2^r / s). Integers beyond the window's reach are
 * coded as its end bin and an Elias gamma excess ({@link pushInteger}), or refused (see {@link Tails}).
 * Pop with {@link popScaled} and the same arguments.
 */
export function pushScaled(stack: RansStack, value: number, mean: number, scale: number, kernel: ScaledKernel, tails: Tails = 'escape'): void {
  const bits = splitBits(scale);
  if (bits === 0) {
    pushIn(stack, value, checkedWindow(kernel, mean, scale), tails);
    return;
  }
  const step = 2 ** bits;
  const coarse = Math.floor(value / step);
  // Low bits first, so that a pop reads the coarse bin first.
  let rest = value - coarse * step;
  for (let left = bits; left > 0; ) {
    const take = Math.min(left, MAX_PRECISION);
    const unit = 2 ** (left - take);
    stack.push(LOW_BITS.interval(Math.floor(rest / unit)), take);
    rest %= unit;
    left -= take;
  }
  // Fine value x ↔ coarse (x + ½)/2^r − ½: coarse bin j holds the fine bins j·2^r … (j + 1)·2^r − 1.
  pushIn(stack, coarse, checkedWindow(kernel, (mean + 0.5) / step - 0.5, scale / step), tails);
}

/** Pops an integer pushed by {@link pushScaled} with the same mean, scale and kernel. */
export function popScaled(stack: RansStack, mean: number, scale: number, kernel: ScaledKernel, tails: Tails = 'escape'): number {
  const bits = splitBits(scale);
  if (bits === 0) return popIn(stack, checkedWindow(kernel, mean, scale), tails);
  const step = 2 ** bits;
  const coarse = popIn(stack, checkedWindow(kernel, (mean + 0.5) / step - 0.5, scale / step), tails);
  let rest = 0;
  const sizes: number[] = [];
  for (let left = bits; left > 0; left -= Math.min(left, MAX_PRECISION)) sizes.push(Math.min(left, MAX_PRECISION));
  // Pushed from the high part down, so popped from the low part up.
  let unit = 1;
  for (let k = sizes.length - 1; k >= 0; k--) {
    const size = sizes[k];
    rest += unit * stack.pop({ precision: size, symbolOf: (slot) => slot, interval: LOW_BITS.interval });
    unit *= 2 ** size;
  }
  return coarse * step + rest;
}
