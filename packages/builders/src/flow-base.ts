import { ConfigError } from '@flows/core';
import { Distribution, StandardNormal } from '@flows/distributions';

/** What every vector builder takes about its event size and base distribution. */
export interface FlowBaseOptions {
  /** Event size D (required unless `base` gives it). */
  size?: number;
  /**
   * The base distribution (default a standard normal of `size`): any distribution of events of
   * size D, for example a `DiagonalNormal` whose location and scale train with the layers, or a
   * `MixtureOfGaussians`. The flow owns it from then on (`flow.dispose()` frees it too); when the
   * builder refuses its options, the base is left as it was given.
   */
  base?: Distribution;
}

/**
 * The event size D of a vector flow, from `size` or from the base's events, checked to be an
 * integer of at least `least` and to agree with the base when both are given.
 */
export function flowSize(options: FlowBaseOptions, who: string, least: number): number {
  const base = options.base;
  if (base !== undefined && !(base instanceof Distribution)) {
    throw new ConfigError(`${who}: base must be a Distribution (StandardNormal, DiagonalNormal, …), got ${typeof base}`);
  }
  if (base !== undefined && base.eventShape.length !== 1) {
    throw new ConfigError(`${who}: base must have vector events of shape [D], got [${base.eventShape.join(', ')}]`);
  }
  const size = options.size ?? base?.eventSize;
  if (!Number.isInteger(size) || (size as number) < least) throw new RangeError(`${who}: size (the event size D) must be an integer >= ${least}, got ${size}`);
  if (base !== undefined && base.eventSize !== size) {
    throw new ConfigError(`${who}: size is ${size} but the base has events of size ${base.eventSize}; give one of them, or both alike`);
  }
  return size as number;
}

/** The given base, or a standard normal of `size`. */
export function flowBase(options: FlowBaseOptions, size: number): Distribution {
  return options.base ?? new StandardNormal(size);
}
