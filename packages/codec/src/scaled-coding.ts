import { exactSigmoid } from './exact-math.js';
import { ComputedCdfLookup, type IntegerWindow, popInteger, pushInteger } from './integer-coding.js';
import { normalQuantileStart, standardNormalCdf } from './quantized-distribution.js';
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

/**
 * A kernel as a {@link ComputedCdfLookup}: G(t) = σ((t − μ)/s) or Φ((t − μ)/s). One object per
 * kernel serves every window ({@link kernelWindow}): a coded step makes and drops a window per
 * coordinate, millions per file.
 */
class KernelCdfLookup extends ComputedCdfLookup {
  private mean = 0;
  private scale = 1;
  private inverseScale = 1;

  constructor(private readonly kernel: ScaledKernel) {
    super(0, 1);
  }

  /** Moves the lookup to the kernel of location μ and scale s over the bins low…high. */
  target(mean: number, scale: number, low: number, high: number): void {
    this.mean = mean;
    this.scale = scale;
    this.inverseScale = 1 / scale;
    this.moveWindow(low, high);
  }

  protected cdf(t: number): number {
    const z = (t - this.mean) * this.inverseScale;
    return this.kernel === 'logistic' ? exactSigmoid(z) : standardNormalCdf(z);
  }

  /** The bin at G⁻¹(slot / 2^P), from the engine's own log and sqrt: only where the search starts, so any last bits do. */
  protected override guess(slot: number): number {
    const u = (slot + 0.5) / 2 ** this.precision;
    const z = this.kernel === 'logistic' ? Math.log(u / (1 - u)) : approximateNormalQuantile(u);
    const bin = Math.floor(this.mean + this.scale * z - this.low + 0.5);
    return Math.min(this.size - 1, Math.max(0, bin));
  }
}

/** Φ⁻¹(u) to within 4.5·10⁻⁴, from the engine's log and sqrt (a search's start only). */
function approximateNormalQuantile(u: number): number {
  const x = normalQuantileStart(Math.sqrt(-2 * Math.log(Math.min(u, 1 - u))));
  return u < 0.5 ? -x : x;
}

const LOOKUPS = { logistic: new KernelCdfLookup('logistic'), gaussian: new KernelCdfLookup('gaussian') };
const WINDOWS = { logistic: { low: 0, distribution: LOOKUPS.logistic }, gaussian: { low: 0, distribution: LOOKUPS.gaussian } };

/** The kernel's window around μ, valid until the next call for the same kernel (each push or pop takes one and is done with it). */
function kernelWindow(kernel: ScaledKernel, mean: number, scale: number): IntegerWindow {
  if (!(Number.isFinite(mean) && Number.isFinite(scale) && scale > 0))
    throw new RangeError(`a coded kernel needs a finite mean and a positive scale, got ${mean} and ${scale}`);
  // A few bins of margin: a step's data-side window then holds every value its base-side window can send back.
  const reach = Math.ceil(REACH[kernel] * scale) + 3;
  const centre = Math.round(mean);
  const window = WINDOWS[kernel];
  LOOKUPS[kernel].target(mean, scale, centre - reach, centre + reach);
  window.low = centre - reach;
  return window;
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
    pushIn(stack, value, kernelWindow(kernel, mean, scale), tails);
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
  pushIn(stack, coarse, kernelWindow(kernel, (mean + 0.5) / step - 0.5, scale / step), tails);
}

/** Pops an integer pushed by {@link pushScaled} with the same mean, scale and kernel. */
export function popScaled(stack: RansStack, mean: number, scale: number, kernel: ScaledKernel, tails: Tails = 'escape'): number {
  const bits = splitBits(scale);
  if (bits === 0) return popIn(stack, kernelWindow(kernel, mean, scale), tails);
  const step = 2 ** bits;
  const coarse = popIn(stack, kernelWindow(kernel, (mean + 0.5) / step - 0.5, scale / step), tails);
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
