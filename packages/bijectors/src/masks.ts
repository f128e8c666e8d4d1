import { assertPositiveInteger, BijectorInputError, Random, validateMask } from '@flows/core';

/**
 * Binary masks for coupling layers. Entry `b_i = 1` marks a coordinate that the layer leaves
 * unchanged and feeds to its conditioner; `b_i = 0` marks one that it transforms.
 * Masks are plain arrays of 0 and 1, so they serialize as JSON with the layer.
 */
export type Mask = number[];

/** `[1, …, 1, 0, …, 0]`: the first ⌊D/2⌋ coordinates are kept (or the last, with `keepFirst = false`). */
export function halfMask(size: number, keepFirst = true): Mask {
  assertPositiveInteger(size, 'halfMask', 'size');
  const half = Math.floor(size / 2);
  const mask = Array.from({ length: size }, (_, i) => (i < half ? 1 : 0));
  return keepFirst ? mask : invertMask(mask);
}

/** `[1, 0, 1, 0, …]`, or `[0, 1, 0, 1, …]` with `startWith = 0`. */
export function alternatingMask(size: number, startWith: 0 | 1 = 1): Mask {
  assertPositiveInteger(size, 'alternatingMask', 'size');
  return Array.from({ length: size }, (_, i) => ((i % 2 === 0) === (startWith === 1) ? 1 : 0));
}

/**
 * Exactly ⌊D/2⌋ ones at positions chosen by a seeded permutation. Draw it once and store it with
 * the layer (the layer's config keeps the mask itself, not the seed).
 */
export function randomMask(size: number, seed: number | Random): Mask {
  assertPositiveInteger(size, 'randomMask', 'size');
  const random = seed instanceof Random ? seed : new Random(seed);
  const order = random.permutation(size);
  const mask = new Array<number>(size).fill(0);
  const ones = Math.floor(size / 2);
  for (let i = 0; i < ones; i++) mask[order[i]] = 1;
  return mask;
}

/**
 * The Real NVP checkerboard on an H × W image, flattened row-major:
 * `b[i·W + j] = 1` where `(i + j) mod 2 = parity`.
 */
export function checkerboardMask(height: number, width: number, parity: 0 | 1 = 0): Mask {
  assertPositiveInteger(height, 'checkerboardMask', 'height');
  assertPositiveInteger(width, 'checkerboardMask', 'width');
  const mask: Mask = [];
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) mask.push((i + j) % 2 === parity ? 1 : 0);
  return mask;
}

/** The checkerboard with the other parity: the inverse of `checkerboardMask(height, width, parity)`. */
export function inverseCheckerboardMask(height: number, width: number, parity: 0 | 1 = 0): Mask {
  return checkerboardMask(height, width, parity === 0 ? 1 : 0);
}

/** Swaps kept and transformed coordinates: `1 - b`. */
export function invertMask(mask: ArrayLike<number>): Mask {
  validateMask(mask, 'invertMask');
  return Array.from(mask, (b) => 1 - b);
}

/**
 * Checks that a mask transforms at least one coordinate and keeps at least one for the
 * conditioner to read. A mask that keeps nothing is accepted only when the conditioner has
 * something else to read (`otherInputs > 0`: a context, or conditioners given explicitly).
 */
export function assertUsefulMask(mask: ArrayLike<number>, who: string, otherInputs = 0): void {
  let ones = 0;
  for (let i = 0; i < mask.length; i++) ones += mask[i];
  if (ones === mask.length) throw new BijectorInputError(`${who}: mask is all ones, so the layer would transform nothing`);
  if (ones === 0 && otherInputs === 0) {
    throw new BijectorInputError(
      `${who}: mask is all zeros, so the conditioner would read nothing (keep at least one coordinate, or give the layer a context)`,
    );
  }
}

/**
 * The Real NVP spatial checkerboard on an `[H, W, C]` image, flattened: pixel (i, j) is kept in
 * every channel when `(i + j) mod 2 = parity`. Pass `eventShape: [H, W, C]` to the coupling.
 */
export function imageCheckerboardMask(height: number, width: number, channels: number, parity: 0 | 1 = 0): Mask {
  assertPositiveInteger(channels, 'imageCheckerboardMask', 'channels');
  const spatial = checkerboardMask(height, width, parity);
  return spatial.flatMap((b) => new Array<number>(channels).fill(b));
}

/**
 * The Real NVP channel mask on an `[H, W, C]` image, flattened: the first ⌊C/2⌋ channels of every
 * pixel are kept (or the last ones, with `keepFirst = false`). Used after a squeeze.
 */
export function channelMask(height: number, width: number, channels: number, keepFirst = true): Mask {
  assertPositiveInteger(height, 'channelMask', 'height');
  assertPositiveInteger(width, 'channelMask', 'width');
  if (!Number.isInteger(channels) || channels < 2) throw new BijectorInputError(`channelMask: needs at least 2 channels, got ${channels}`);
  const pixel = halfMask(channels, keepFirst);
  return Array.from({ length: height * width }, () => pixel).flat();
}
