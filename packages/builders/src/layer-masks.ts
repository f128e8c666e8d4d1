import type { Random } from '@flows/core';
import { alternatingMask, checkerboardMask, halfMask, invertMask, type Mask, randomMask } from '@flows/bijectors';

export type MaskStrategy = 'half' | 'alternating' | 'random' | 'checkerboard';
export const MASK_STRATEGIES: readonly MaskStrategy[] = ['half', 'alternating', 'random', 'checkerboard'];

/** The mask of layer `index` under a strategy. */
export function layerMask(strategy: MaskStrategy, dims: number, index: number, random: Random, imageShape?: [number, number]): Mask {
  switch (strategy) {
    case 'half': {
      const mask = halfMask(dims);
      return index % 2 === 0 ? mask : invertMask(mask);
    }
    case 'alternating':
      return alternatingMask(dims, index % 2 === 0 ? 1 : 0);
    case 'random':
      return randomMask(dims, random);
    case 'checkerboard': {
      const [h, w] = imageShape ?? squareShape(dims);
      if (h * w !== dims) throw new RangeError(`checkerboard mask: imageShape ${h}x${w} does not have ${dims} pixels`);
      return checkerboardMask(h, w, index % 2 === 0 ? 0 : 1);
    }
    default:
      throw new RangeError(`unknown mask strategy '${String(strategy)}'; expected ${MASK_STRATEGIES.join(', ')}`);
  }
}

/** The side lengths of a square image of `dims` pixels (the checkerboard's default image). */
export function squareShape(dims: number): [number, number] {
  const side = Math.round(Math.sqrt(dims));
  if (side * side !== dims) throw new RangeError(`checkerboard mask: ${dims} is not a square number of pixels; pass imageShape`);
  return [side, side];
}
