import { popScaled, pushScaled, type ScaledKernel } from './scaled-coding.js';
import type { RansStack } from './rans.js';

/**
 * An increasing map of one coordinate between two integer lattices (values in bins), as local
 * bits-back coding steps through it: `forward` (data side → base side, in base bins), its inverse,
 * and its slope (base bins per data bin) at a data-side point.
 */
export interface MonotoneMap {
  forward(x: number): number;
  inverse(y: number): number;
  slope(x: number): number;
}

/** The affine map y = slope·x + offset (slope > 0): a coupling's, an ActNorm's or a triangular factor's, given what the decoder knows. */
export function affineMap(slope: number, offset: number): MonotoneMap {
  return { forward: (x) => slope * x + offset, inverse: (y) => (y - offset) / slope, slope: () => slope };
}

/** The data side's noise scale for a step of slope k: one bin, or 1/k where the step contracts (the base side's is k times it, so at least one bin too). */
function dataScale(slope: number): number {
  if (!(slope > 0 && Number.isFinite(slope))) throw new RangeError(`a coded step needs a finite positive slope, got ${slope}`);
  return slope >= 1 ? 1 : 1 / slope;
}

const KERNEL: ScaledKernel = 'logistic';

/*
 * One step of local bits-back coding (Ho, Lohn and Abbeel, "Compression with flows via local
 * bits-back coding", NeurIPS 2019) through an increasing map f of one coordinate, in two halves:
 *
 * - encoder: pop y from q(y | x) = K(f(x), k·σ) on the base lattice ({@link popBaseSide}; k = f′(x),
 *   σ = max(1, 1/k) bins, K a logistic discretised), later push x under p(x | y) = K(f⁻¹(y), σ′)
 *   with σ′ from the slope at f⁻¹(y) ({@link pushDataSide});
 * - decoder: the mirror, pop x ({@link popDataSide}) and push y back ({@link pushBaseSide}).
 *
 * The pair costs −log₂ p(x | y) + log₂ q(y | x) ≈ −log₂ k bits, the step's log-det: exactly so, up
 * to the kernels' discretisation, for an affine f; to second order in σ for a curved one. The code
 * is exact whatever the map, as long as both sides compute the same numbers.
 *
 * A layer should pop all its coordinates' y before it pushes any x: right after a push, the state's
 * low bits lie in the pushed symbol's interval, so a pop there draws y from near the middle of q
 * rather than from all of q, and the discretisation's errors no longer average out.
 */

/** Encoder: pops the base-side value y given the data-side x (within its window: see {@link Tails}). */
export function popBaseSide(stack: RansStack, x: number, map: MonotoneMap): number {
  const slope = map.slope(x);
  return popScaled(stack, map.forward(x), slope * dataScale(slope), KERNEL, 'window');
}

/** Encoder: pushes the data-side x given the base-side y popped for it (with an escape for values beyond the window). */
export function pushDataSide(stack: RansStack, x: number, y: number, map: MonotoneMap): void {
  const centre = map.inverse(y);
  pushScaled(stack, x, centre, dataScale(map.slope(centre)), KERNEL);
}

/** Decoder: pops the data-side x given the base-side y (undoes {@link pushDataSide}). */
export function popDataSide(stack: RansStack, y: number, map: MonotoneMap): number {
  const centre = map.inverse(y);
  return popScaled(stack, centre, dataScale(map.slope(centre)), KERNEL);
}

/** Decoder: pushes y back given x, the bits given back (undoes {@link popBaseSide}). */
export function pushBaseSide(stack: RansStack, y: number, x: number, map: MonotoneMap): void {
  const slope = map.slope(x);
  pushScaled(stack, y, map.forward(x), slope * dataScale(slope), KERNEL, 'window');
}
